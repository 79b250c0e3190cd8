/* Placeholder app for the build test: greet, count a fixed loop, exit 0 via semihosting. */
#include "reparo_fw.h"

#ifndef LOOP_ITERATIONS
#define LOOP_ITERATIONS 100000u
#endif

/* Exactly 2 instructions per iteration (subs + bne), in asm so that the compiler cannot fold it. */
static void fixed_loop(uint32_t n) {
  __asm volatile(
      "1: subs %0, %0, #1\n"
      "   bne 1b\n"
      : "+r"(n)
      :
      : "cc");
}

int main(void) {
  reparo_uart_init();
  reparo_uart_puts("reparo hello " REPARO_CORE "\n");
  /* a hardware-float instruction: faults (exit 3) unless the reset handler enabled the FPU */
  volatile float x = 1.5f;
  x = x * 3.0f;
  reparo_uart_puts("fpu 1.5*3=");
  reparo_uart_putu64((uint32_t)(x * 2.0f));
  reparo_uart_puts("/2\n");
  reparo_counter_init();
  uint64_t t0 = reparo_counter_ticks();
  fixed_loop(LOOP_ITERATIONS);
  uint64_t t1 = reparo_counter_ticks();
  reparo_uart_puts("loop iterations ");
  reparo_uart_putu64(LOOP_ITERATIONS);
  reparo_uart_puts(" systick ticks ");
  reparo_uart_putu64(t1 - t0);
  reparo_uart_puts(" instructions ");
  reparo_uart_putu64(reparo_ticks_to_instructions(t1 - t0));
  reparo_uart_puts("\n");
  return 0;
}
