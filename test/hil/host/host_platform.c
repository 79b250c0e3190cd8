/* The HIL platform for host builds in tests: bytes on stdin/stdout, a fake counter that advances
 * 1000 per read (deterministic), end of input ends the program. */
#include <stdio.h>
#include <stdlib.h>
#include "reparo_hil.h"

void reparo_platform_init(void) {}

int reparo_platform_getc(void) {
  int c = getchar();
  if (c == EOF) exit(0);
  return c;
}

void reparo_platform_write(const char *s, uint32_t n) {
  fwrite(s, 1, n, stdout);
  fflush(stdout);
}

uint64_t reparo_platform_count(void) {
  static uint64_t count;
  return count += 1000u;
}

const char *reparo_platform_unit(void) { return "instructions"; }
uint32_t reparo_platform_clock_hz(void) { return 1000000u; }
const char *reparo_platform_board(void) { return "host"; }
