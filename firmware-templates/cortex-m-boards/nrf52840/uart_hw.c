/* nRF52840 DK: the legacy UART0 (not UARTE0's EasyDMA: one byte at a time needs no buffers in RAM)
 * on P0.06 (TXD) / P0.08 (RXD), wired to the J-Link OB virtual COM port (nRF52840 DK user guide).
 * Register facts from the nRF52840 Product Specification v1.x:
 *   CLOCK 0x4000 0000: TASKS_HFCLKSTART +0x000, EVENTS_HFCLKSTARTED +0x100 (the crystal, for a baud
 *     rate better than the internal oscillator's tolerance)
 *   GPIO P0 0x5000 0000: OUTSET +0x508, DIRSET +0x518, PIN_CNF[n] +0x700 + 4n
 *     (bit0 DIR output, bit1 INPUT 1 = disconnect the input buffer, bits 3:2 PULL 3 = pull-up)
 *   UART0 0x4000 2000 (shares its ID and IRQ 2 with UARTE0): TASKS_STARTRX +0x000, TASKS_STARTTX +0x008,
 *     EVENTS_RXDRDY +0x108, EVENTS_TXDRDY +0x11C, INTENSET +0x304 (bit2 RXDRDY), ENABLE +0x500 (4 = UART),
 *     PSEL.RTS +0x508, PSEL.TXD +0x50C, PSEL.CTS +0x510, PSEL.RXD +0x514 (bits 4:0 pin, bit5 port,
 *     bit31 1 = disconnected), RXD +0x518, TXD +0x51C, BAUDRATE +0x524 (0x01D7E000 = 115200), CONFIG +0x56C.
 * The PS says to clear RXDRDY before reading RXD: the read may move the next byte in and raise it again. */
#include "reparo_fw.h"
#include "board_uart.h"

#define CLOCK_TASKS_HFCLKSTART REPARO_REG32(0x40000000u)
#define CLOCK_EVENTS_HFCLKSTARTED REPARO_REG32(0x40000100u)
#define P0_OUTSET REPARO_REG32(0x50000508u)
#define P0_DIRSET REPARO_REG32(0x50000518u)
#define P0_PIN_CNF(n) REPARO_REG32(0x50000700u + 4u * (n))
#define UART0(off) REPARO_REG32(0x40002000u + (off))
#define TASKS_STARTRX UART0(0x000)
#define TASKS_STARTTX UART0(0x008)
#define EVENTS_RXDRDY UART0(0x108)
#define EVENTS_TXDRDY UART0(0x11C)
#define INTENSET UART0(0x304)
#define ENABLE UART0(0x500)
#define PSEL_RTS UART0(0x508)
#define PSEL_TXD UART0(0x50C)
#define PSEL_CTS UART0(0x510)
#define PSEL_RXD UART0(0x514)
#define RXD UART0(0x518)
#define TXD UART0(0x51C)
#define BAUDRATE UART0(0x524)
#define CONFIG UART0(0x56C)
#define PIN_TX 6u
#define PIN_RX 8u
#define BAUDRATE_115200 0x01D7E000u
#define INT_RXDRDY (1u << 2)

static int tx_started;

void board_uart_init(void) {
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  while (!CLOCK_EVENTS_HFCLKSTARTED) {
  }
  P0_OUTSET = 1u << PIN_TX; /* idle high before the pin becomes an output */
  P0_DIRSET = 1u << PIN_TX;
  P0_PIN_CNF(PIN_TX) = 0x3u;  /* output, input buffer disconnected */
  P0_PIN_CNF(PIN_RX) = 0xCu;  /* input connected, pull-up (a floating line reads as noise) */
  PSEL_RTS = 0xFFFFFFFFu;
  PSEL_CTS = 0xFFFFFFFFu;
  PSEL_TXD = PIN_TX;          /* port 0, connected */
  PSEL_RXD = PIN_RX;
  BAUDRATE = BAUDRATE_115200;
  CONFIG = 0;                 /* no flow control, no parity, one stop bit */
  ENABLE = 4u;
  EVENTS_RXDRDY = 0;
  EVENTS_TXDRDY = 0;
  TASKS_STARTRX = 1;
  TASKS_STARTTX = 1;
  tx_started = 0;
}

void board_uart_putc(uint8_t c) {
  /* TXDRDY says the previous byte has gone: wait for it before writing the next one */
  if (tx_started) {
    while (!EVENTS_TXDRDY) {
    }
  }
  EVENTS_TXDRDY = 0;
  TXD = c;
  tx_started = 1;
}

int board_uart_poll(void) {
  if (!EVENTS_RXDRDY) return -1;
  EVENTS_RXDRDY = 0;
  return (int)(RXD & 0xFFu);
}

void board_uart_enable_rx_irq(void) { INTENSET = INT_RXDRDY; }
