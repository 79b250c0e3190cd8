/* Raspberry Pi Pico: UART0 (ARM PL011) on GP0 (TX) / GP1 (RX), the Pico's default UART pins; read it
 * with a USB-serial adapter or a Raspberry Pi Debug Probe (the RP2040 has no USB serial without a USB
 * stack). Register facts from the RP2040 datasheet:
 *   XOSC 0x4002 4000: CTRL +0x00 (FREQ_RANGE 0xAA0 = 1-15 MHz, ENABLE 0xFAB << 12), STATUS +0x04
 *     (bit31 STABLE), STARTUP +0x0C (DELAY in units of 256 crystal cycles)
 *   CLOCKS 0x4000 8000: CLK_REF_CTRL +0x30 (SRC 2 = xosc), CLK_REF_SELECTED +0x38 (one-hot),
 *     CLK_SYS_CTRL +0x3C (SRC 0 = clk_ref), CLK_SYS_SELECTED +0x44, CLK_PERI_CTRL +0x48 (bit11 ENABLE,
 *     AUXSRC 0 = clk_sys)
 *   RESETS 0x4000 C000: RESET +0x0, RESET_DONE +0x8; bits io_bank0 5, pads_bank0 8, uart0 22;
 *     every register has an atomic bit-clear alias at +0x3000
 *   IO_BANK0 0x4001 4000: GPIOn_CTRL +0x04 + 8n, FUNCSEL 2 = UART
 *   UART0 0x4003 4000: DR +0x000, FR +0x018 (bit4 RXFE, bit5 TXFF), IBRD +0x024, FBRD +0x028,
 *     LCR_H +0x02C (WLEN bits 6:5, bit4 FEN; writing it latches IBRD/FBRD), CR +0x030 (bit0 UARTEN,
 *     bit8 TXE, bit9 RXE), IMSC +0x038 (bit4 RXIM, bit6 RTIM)
 * The boot ROM leaves clk_ref and clk_sys on the ring oscillator (1.8-12 MHz, it varies from chip to
 * chip), too loose for a baud rate, and clk_peri (the UART's clock) off. The base moves clk_ref and so
 * clk_sys to the Pico's 12 MHz crystal and feeds clk_peri from clk_sys; the PLLs stay off, so the
 * core runs at 12 MHz, not the 125 MHz of the SDK (REPARO_CLOCK_HZ must say 12000000). */
#include "reparo_fw.h"
#include "board_uart.h"

#define XOSC_CTRL REPARO_REG32(0x40024000u)
#define XOSC_STATUS REPARO_REG32(0x40024004u)
#define XOSC_STARTUP REPARO_REG32(0x4002400Cu)
#define CLK_REF_CTRL REPARO_REG32(0x40008030u)
#define CLK_REF_SELECTED REPARO_REG32(0x40008038u)
#define CLK_SYS_CTRL REPARO_REG32(0x4000803Cu)
#define CLK_SYS_SELECTED REPARO_REG32(0x40008044u)
#define CLK_PERI_CTRL REPARO_REG32(0x40008048u)
#define RESETS_RESET_CLR REPARO_REG32(0x4000C000u + 0x3000u)
#define RESETS_RESET_DONE REPARO_REG32(0x4000C008u)
#define IO_BANK0_GPIO_CTRL(n) REPARO_REG32(0x40014004u + 8u * (n))
#define UART0(off) REPARO_REG32(0x40034000u + (off))
#define UARTDR UART0(0x000)
#define UARTFR UART0(0x018)
#define UARTIBRD UART0(0x024)
#define UARTFBRD UART0(0x028)
#define UARTLCR_H UART0(0x02C)
#define UARTCR UART0(0x030)
#define UARTIMSC UART0(0x038)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define XOSC_HZ 12000000u
#define RESET_BITS ((1u << 5) | (1u << 8) | (1u << 22))

#if REPARO_CLOCK_HZ != XOSC_HZ
#error "the RP2040 base runs clk_sys from the 12 MHz crystal: build with REPARO_CLOCK_HZ=12000000"
#endif

/* PL011: divisor = clk / (16 * baud) as 16.6 fixed point, rounded (datasheet 4.2.7.1) */
#define BAUD_DIV64 ((8u * XOSC_HZ / REPARO_BAUD + 1u) / 2u)

static void clocks_to_xosc(void) {
  XOSC_CTRL = 0xAA0u; /* frequency range first, enable after */
  XOSC_STARTUP = (XOSC_HZ / 1000u + 128u) / 256u; /* about 1 ms */
  XOSC_CTRL = 0xAA0u | (0xFABu << 12);
  while (!(XOSC_STATUS & (1u << 31))) {
  }
  CLK_REF_CTRL = 2u; /* glitchless mux: wait until the switch is done */
  while (CLK_REF_SELECTED != (1u << 2)) {
  }
  CLK_SYS_CTRL = 0u;
  while (CLK_SYS_SELECTED != 1u) {
  }
  CLK_PERI_CTRL = 1u << 11; /* AUXSRC 0 = clk_sys */
}

void board_uart_init(void) {
  clocks_to_xosc();
  RESETS_RESET_CLR = RESET_BITS;
  while ((RESETS_RESET_DONE & RESET_BITS) != RESET_BITS) {
  }
  IO_BANK0_GPIO_CTRL(0) = 2u; /* GP0 = UART0 TX (pads keep their reset value: input enabled, output on) */
  IO_BANK0_GPIO_CTRL(1) = 2u; /* GP1 = UART0 RX */
  UARTIBRD = BAUD_DIV64 >> 6;
  UARTFBRD = BAUD_DIV64 & 63u;
  UARTLCR_H = (3u << 5) | (1u << 4); /* 8 bits, FIFOs on */
  UARTCR = (1u << 0) | (1u << 8) | (1u << 9);
}

void board_uart_putc(uint8_t c) {
  while (UARTFR & FR_TXFF) {
  }
  UARTDR = c;
}

int board_uart_poll(void) { return (UARTFR & FR_RXFE) ? -1 : (int)(UARTDR & 0xFFu); }

/* RX at the FIFO level, and the receive timeout for the last bytes below it; draining the FIFO clears both */
void board_uart_enable_rx_irq(void) { UARTIMSC = (1u << 4) | (1u << 6); }
