/* The UART helpers above the byte level, the same on every Cortex-M board: blocking getc, text out. */
#include "reparo_fw.h"

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
