/* The HIL platform (reparo_hil.h) on the RV32 base: NS16550A UART0, mcycle counts, WFI while idle. */
#include "reparo_fw.h"
#include "reparo_hil.h"

void reparo_platform_init(void) {
  reparo_uart_init();
  reparo_counter_init();
  reparo_uart_enable_rx_irq();
}

int reparo_platform_getc(void) {
  for (;;) {
    int c = reparo_uart_try_getc();
    if (c >= 0) {
      reparo_uart_rx_handler();
      return c;
    }
    /* WFI returns once the UART's interrupt is pending at the PLIC (mie.MEIE), even with mstatus.MIE
     * clear: a byte arriving between the check and the WFI still ends it. QEMU idles meanwhile. */
    reparo_uart_rx_handler();
    if (!reparo_uart_rx_ready()) __asm volatile("wfi" ::: "memory");
  }
}

void reparo_platform_write(const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) reparo_uart_putc(s[i]);
}

uint64_t reparo_platform_count(void) { return reparo_counter_ticks(); }

#ifdef REPARO_COUNTS_CYCLES
const char *reparo_platform_unit(void) { return "cycles"; }
#else
const char *reparo_platform_unit(void) { return "instructions"; }
#endif

uint32_t reparo_platform_clock_hz(void) { return REPARO_CLOCK_HZ; }

const char *reparo_platform_board(void) { return REPARO_BOARD_ID; }
