/* Arm semihosting: BKPT 0xAB with the operation in r0 and its argument in r1 (M-profile). */
#include "reparo_fw.h"

#define SYS_EXIT_EXTENDED 0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

void reparo_semihost_exit(int code) {
  /* SYS_EXIT_EXTENDED carries the exit code on 32-bit targets (plain SYS_EXIT only says 0 or 1). */
  static volatile uint32_t block[2];
  block[0] = ADP_Stopped_ApplicationExit;
  block[1] = (uint32_t)code;
  register uint32_t r0 __asm("r0") = SYS_EXIT_EXTENDED;
  register uint32_t r1 __asm("r1") = (uint32_t)(uintptr_t)block;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) {
  }
}
