/* CMSDK APB UART, polled. Registers: DATA +0x0, STATE +0x4 (bit0 TX full, bit1 RX full),
 * CTRL +0x8 (bit0 TX enable, bit1 RX enable), INTSTATUS +0xC, BAUDDIV +0x10. */
#include "reparo_fw.h"

#define UART_DATA REPARO_REG32(REPARO_UART0_BASE + 0x00)
#define UART_STATE REPARO_REG32(REPARO_UART0_BASE + 0x04)
#define UART_CTRL REPARO_REG32(REPARO_UART0_BASE + 0x08)
#define UART_BAUDDIV REPARO_REG32(REPARO_UART0_BASE + 0x10)
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

int reparo_uart_try_getc(void) { return (UART_STATE & STATE_RXFULL) ? (int)(UART_DATA & 0xFFu) : -1; }

int reparo_uart_getc(void) {
  int c;
  while ((c = reparo_uart_try_getc()) < 0) {
  }
  return c;
}

void reparo_uart_puts(const char *s) {
  for (; *s; s++) {
    if (*s == '\n') reparo_uart_putc('\r');
    reparo_uart_putc(*s);
  }
}

void reparo_uart_putu64(uint64_t v) {
  char buf[21];
  int i = 20;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + (unsigned)(v % 10u));
    v /= 10u;
  } while (v);
  reparo_uart_puts(&buf[i]);
}
