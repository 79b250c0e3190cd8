/*
 * Entry of the TFLM test-vector firmware (REPARO_APP=vectors): runs the model through the same
 * backend as the HIL firmware on the inputs compiled into vectors.h and prints, per vector,
 * "out <i> <hex> instructions <n>" (the native vector app's format), then "arena <bytes>", and
 * exits through semihosting. Lets a host check TFLM's outputs without the serial protocol.
 */
#include "reparo_fw.h"
#include "reparo_hil.h"
#include "reparo_hil_config.h"
#include "vectors.h"

static int8_t output[REPARO_HIL_OUTPUT_CAPACITY];

static void put_hex(const int8_t *p, uint32_t n) {
  static const char digits[] = "0123456789abcdef";
  for (uint32_t i = 0; i < n; i++) {
    uint8_t b = (uint8_t)p[i];
    reparo_uart_putc(digits[b >> 4]);
    reparo_uart_putc(digits[b & 15]);
  }
}

int main(void) {
  reparo_platform_init();
  int rc = reparo_model_setup();
  if (rc != 0) {
    reparo_uart_puts("setup failed ");
    reparo_uart_putu64((uint64_t)rc);
    reparo_uart_puts("\n");
    return 10 + rc;
  }
  const reparo_model_info_t *info = reparo_model_info();
  if (info->output_bytes > REPARO_HIL_OUTPUT_CAPACITY) return 9;
  for (int v = 0; v < REPARO_VECTOR_COUNT; v++) {
    uint64_t c0 = reparo_platform_count();
    rc = reparo_model_run(reparo_vectors[v], output);
    uint64_t c1 = reparo_platform_count();
    if (rc != 0) return 20 + rc;
    reparo_uart_puts("out ");
    reparo_uart_putu64((uint64_t)v);
    reparo_uart_puts(" ");
    put_hex(output, info->output_bytes);
    reparo_uart_puts(" instructions ");
    reparo_uart_putu64(c1 - c0);
    reparo_uart_puts("\n");
  }
  reparo_uart_puts("arena ");
  reparo_uart_putu64(info->arena_bytes);
  reparo_uart_puts("\n");
  return 0;
}
