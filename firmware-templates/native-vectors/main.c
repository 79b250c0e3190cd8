/*
 * Runs the generated native model on the test vectors compiled into the image and prints, per
 * vector, the output bytes in hex and the instructions one invoke took (SysTick under QEMU
 * -icount shift=0), then exits through semihosting. The host compares the bytes with its own
 * int8 interpreter; the serial HIL protocol replaces this app later.
 */
#include "reparo_fw.h"
#include "model.h"
#include "vectors.h"

static void put_hex(const int8_t *p, int n) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < n; i++) {
    uint8_t b = (uint8_t)p[i];
    reparo_uart_putc(digits[b >> 4]);
    reparo_uart_putc(digits[b & 15]);
  }
}

static int8_t output[REPARO_OUTPUT_SIZE];

int main(void) {
  reparo_uart_init();
  reparo_counter_init();
  for (int v = 0; v < REPARO_VECTOR_COUNT; v++) {
    uint64_t t0 = reparo_counter_ticks();
    int rc = reparo_invoke(reparo_vectors[v], output);
    uint64_t t1 = reparo_counter_ticks();
    if (rc != 0) reparo_semihost_exit(2);
    reparo_uart_puts("out ");
    reparo_uart_putu64((uint64_t)v);
    reparo_uart_puts(" ");
    put_hex(output, REPARO_OUTPUT_SIZE);
    reparo_uart_puts(" instructions ");
    reparo_uart_putu64(reparo_ticks_to_instructions(t1 - t0));
    reparo_uart_puts("\n");
  }
  return 0;
}
