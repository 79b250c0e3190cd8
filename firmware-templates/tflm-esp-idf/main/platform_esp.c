/*
 * The HIL platform (reparo_hil.h) on ESP-IDF: bytes over UART0 (the console UART, driven by the
 * UART driver so that reads block without spinning), counts from the CPU cycle counter (CCOUNT).
 */
#include <stdint.h>
#include "driver/uart.h"
#include "esp_cpu.h"
#include "reparo_hil.h"
#include "reparo_hil_config.h"
#include "sdkconfig.h"

#define HIL_UART UART_NUM_0

void reparo_platform_init(void) {
  /* the console UART is already configured (baud from sdkconfig); install the driver for reads */
  if (!uart_is_driver_installed(HIL_UART)) uart_driver_install(HIL_UART, 1024, 0, 0, NULL, 0);
}

int reparo_platform_getc(void) {
  uint8_t c;
  while (uart_read_bytes(HIL_UART, &c, 1, portMAX_DELAY) != 1) {
  }
  return c;
}

void reparo_platform_write(const char *s, uint32_t n) { uart_write_bytes(HIL_UART, s, n); }

/* CCOUNT is 32 bits (it wraps every 17.9 s at 240 MHz): widened here, which is exact as long as
 * two calls are less than 2^32 cycles apart (the HIL loop reads it around every run). */
uint64_t reparo_platform_count(void) {
  static uint32_t last;
  static uint64_t high;
  uint32_t now = (uint32_t)esp_cpu_get_cycle_count();
  if (now < last) high += 1ull << 32;
  last = now;
  return high | now;
}

const char *reparo_platform_unit(void) { return "cycles"; }

uint32_t reparo_platform_clock_hz(void) { return CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ * 1000000u; }

const char *reparo_platform_board(void) { return REPARO_BOARD_ID; }
