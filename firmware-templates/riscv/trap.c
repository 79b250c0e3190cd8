/* The fault report: mcause, mepc and mtval on the UART, then a failing semihosting exit (3, as the
 * Cortex-M base's unexpected exception) instead of a hang. */
#include "reparo_fw.h"

static void put_hex32(uint32_t v) {
  static const char digits[] = "0123456789abcdef";
  reparo_uart_puts("0x");
  for (int i = 28; i >= 0; i -= 4) reparo_uart_putc(digits[(v >> i) & 15u]);
}

void reparo_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval) __attribute__((noreturn));

void reparo_trap(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  reparo_uart_puts("reparo: unexpected exception mcause=");
  put_hex32(mcause);
  reparo_uart_puts(" mepc=");
  put_hex32(mepc);
  reparo_uart_puts(" mtval=");
  put_hex32(mtval);
  reparo_uart_puts("\n");
  reparo_semihost_exit(3);
}
