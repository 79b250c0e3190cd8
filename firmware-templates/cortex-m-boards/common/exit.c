/* reparo_semihost_exit on a real board. Semihosting (BKPT 0xAB) only works while a debugger is
 * attached and serving it; without one the BKPT escalates to HardFault and the core locks up. So:
 * say the exit code over the UART, then hand it to the debugger when one is attached (DHCSR
 * 0xE000EDF0 bit0 C_DEBUGEN, readable by software on ARMv7-M and ARMv8-M; on ARMv6-M software
 * access to the debug registers is not architected, so the M0+ never tries), else sleep. */
#include "reparo_fw.h"

#define DHCSR REPARO_REG32(0xE000EDF0)
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

void reparo_semihost_exit(int code) {
  reparo_uart_puts("reparo: exit ");
  reparo_uart_putu64((uint32_t)code);
  reparo_uart_puts("\n");
#if !defined(__ARM_ARCH_6M__)
  if (DHCSR & 1u) {
    static volatile uint32_t block[2];
    block[0] = ADP_Stopped_ApplicationExit;
    block[1] = (uint32_t)code;
    register uint32_t r0 __asm("r0") = SYS_EXIT_EXTENDED;
    register uint32_t r1 __asm("r1") = (uint32_t)(uintptr_t)block;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  }
#endif
  __asm volatile("cpsid i" ::: "memory");
  for (;;) __asm volatile("wfi");
}
