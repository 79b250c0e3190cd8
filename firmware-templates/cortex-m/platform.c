/* The HIL platform (reparo_hil.h) on the Cortex-M base: CMSDK UART0, SysTick counts, WFI while idle. */
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
    if (c >= 0) return c;
    /* Sleep until the RX interrupt (or a SysTick wrap) is pending; with PRIMASK set a byte arriving
     * between the check and the WFI still wakes it, and its handler runs at cpsie. QEMU then idles
     * instead of spinning a host core. */
    __asm volatile("cpsid i" ::: "memory");
    if (!reparo_uart_rx_ready()) __asm volatile("wfi" ::: "memory");
    __asm volatile("cpsie i" ::: "memory");
  }
}

void reparo_platform_write(const char *s, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) reparo_uart_putc(s[i]);
}

/* Real boards (REPARO_COUNTS_CYCLES) count core clock cycles (DWT CYCCNT, or SysTick on the M0+).
 * QEMU 7.2 has no DWT: there SysTick under -icount shift=0 advances with instructions, not cycles. */
uint64_t reparo_platform_count(void) {
  static uint64_t ticks;
  ticks += reparo_counter_lap();
#ifdef REPARO_COUNTS_CYCLES
  return ticks;
#else
  return reparo_ticks_to_instructions(ticks);
#endif
}

#ifdef REPARO_COUNTS_CYCLES
const char *reparo_platform_unit(void) { return "cycles"; }
#else
const char *reparo_platform_unit(void) { return "instructions"; }
#endif

uint32_t reparo_platform_clock_hz(void) { return REPARO_CLOCK_HZ; }

const char *reparo_platform_board(void) { return REPARO_BOARD_ID; }
