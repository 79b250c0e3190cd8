/* RISC-V semihosting: the uncompressed sequence slli x0,x0,0x1f; ebreak; srai x0,x0,7 with the
 * operation in a0 and its argument in a1. SYS_EXIT_EXTENDED carries the exit code on RV32 too. */
#include "reparo_fw.h"

#define SYS_EXIT_EXTENDED 0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

void reparo_semihost_exit(int code) {
  static volatile uint32_t block[2];
  reparo_uart_flush();
  block[0] = ADP_Stopped_ApplicationExit;
  block[1] = (uint32_t)code;
  register uint32_t a0 __asm("a0") = SYS_EXIT_EXTENDED;
  register uint32_t a1 __asm("a1") = (uint32_t)(uintptr_t)block;
  __asm volatile(
      ".option push\n"
      /* aligned so the three never straddle a page (QEMU reads the neighbours of the EBREAK); before norvc,
         so that the linker's relaxation can pad with compressed NOPs */
      ".balign 16\n"
      ".option norvc\n"
      "slli x0, x0, 0x1f\n"
      "ebreak\n"
      "srai x0, x0, 7\n"
      ".option pop\n"
      : "+r"(a0)
      : "r"(a1)
      : "memory");
  for (;;) {
  }
}
