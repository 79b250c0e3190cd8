/* CMSDK APB UART. Registers: DATA +0x0, STATE +0x4 (bit0 TX full, bit1 RX full),
 * CTRL +0x8 (bit0 TX enable, bit1 RX enable, bit3 RX interrupt enable), INTSTATUS +0xC (bit1 RX,
 * write 1 to clear; it stays set until cleared, reading DATA does not clear it), BAUDDIV +0x10. */
#include "reparo_fw.h"

#define UART_DATA REPARO_REG32(REPARO_UART0_BASE + 0x00)
#define UART_STATE REPARO_REG32(REPARO_UART0_BASE + 0x04)
#define UART_CTRL REPARO_REG32(REPARO_UART0_BASE + 0x08)
#define UART_INTSTATUS REPARO_REG32(REPARO_UART0_BASE + 0x0C)
#define UART_BAUDDIV REPARO_REG32(REPARO_UART0_BASE + 0x10)
#define NVIC_ISER(n) REPARO_REG32(0xE000E100u + 4u * (n))
#define CTRL_RX_INTEN 0x8u
#define STATE_TXFULL 0x1u
#define STATE_RXFULL 0x2u

void reparo_uart_init(void) {
  /* The divisor only matters on hardware (clock / baud); QEMU ignores the rate but wants >= 16. */
  UART_BAUDDIV = REPARO_CLOCK_HZ / 115200u;
  UART_CTRL = 0x3u; /* TX + RX enable, no interrupts */
}

void reparo_uart_putc(char c) {
  while (UART_STATE & STATE_TXFULL) {
  }
  UART_DATA = (uint8_t)c;
}

void reparo_uart_enable_rx_irq(void) {
  UART_CTRL = 0x3u | CTRL_RX_INTEN;
  NVIC_ISER(REPARO_UART0_RX_IRQ / 32u) = 1u << (REPARO_UART0_RX_IRQ % 32u);
}

void reparo_uart_rx_handler(void) { UART_INTSTATUS = STATE_RXFULL; /* INTSTATUS.RX is bit 1 too */ }

int reparo_uart_rx_ready(void) { return (UART_STATE & STATE_RXFULL) != 0; }

int reparo_uart_try_getc(void) { return (UART_STATE & STATE_RXFULL) ? (int)(UART_DATA & 0xFFu) : -1; }
