/* Placeholder app for the build test: greet, count a fixed loop, exit 0 via semihosting. */
#include <errno.h>
#include "reparo_fw.h"

#ifndef LOOP_ITERATIONS
#define LOOP_ITERATIONS 100000u
#endif

/* Exactly 2 instructions per iteration (addi + bnez), in asm so that the compiler cannot fold it. */
static void fixed_loop(uint32_t n) {
  __asm volatile(
      "1: addi %0, %0, -1\n"
      "   bnez %0, 1b\n"
      : "+r"(n));
}

int main(void) {
  reparo_uart_init();
  reparo_uart_puts("reparo hello " REPARO_CORE "\n");
  /* the M extension: a multiply and a divide the compiler cannot fold */
  volatile uint32_t a = 1234567u, b = 89u;
  reparo_uart_puts("mul/div ");
  reparo_uart_putu64((uint64_t)(a * b / 7u));
  reparo_uart_puts("\n");
  /* picolibc's errno is thread-local: this store goes through tp, which the startup set */
  errno = 42;
  reparo_uart_puts("errno ");
  reparo_uart_putu64((uint64_t)errno);
  reparo_uart_puts("\n");
  reparo_counter_init();
  uint64_t t0 = reparo_counter_ticks();
  fixed_loop(LOOP_ITERATIONS);
  uint64_t t1 = reparo_counter_ticks();
  reparo_uart_puts("loop iterations ");
  reparo_uart_putu64(LOOP_ITERATIONS);
  reparo_uart_puts(" mcycle ticks ");
  reparo_uart_putu64(t1 - t0);
  reparo_uart_puts(" instructions ");
  reparo_uart_putu64(reparo_ticks_to_instructions(t1 - t0));
  reparo_uart_puts("\n");
  return 0;
}
