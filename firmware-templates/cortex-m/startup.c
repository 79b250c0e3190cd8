/* Vector table and reset handler for Cortex-M (ARMv7-M / ARMv8-M Mainline). */
#include <stdint.h>
#include "reparo_fw.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack, _sstack;
extern int main(void);
void reparo_systick_handler(void);

void Reset_Handler(void) __attribute__((noreturn, naked));
static void reset_c(void) __attribute__((noreturn, used, noinline));

static void default_handler(void) {
  /* An unexpected exception: report and leave QEMU with a failing code instead of hanging. */
  reparo_uart_puts("reparo: unexpected exception\n");
  reparo_semihost_exit(3);
}

#define EXTERNAL_IRQS 64

/* One entry for every external interrupt: the exception number (IPSR) says which one came. */
static void external_irq_handler(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  if (ipsr == 16u + REPARO_UART0_RX_IRQ) reparo_uart_rx_handler();
  else default_handler();
}

/* The table is placed first in FLASH by the linker script (section .vectors). */
__attribute__((section(".vectors"), used)) static void (*const vector_table[16 + EXTERNAL_IRQS])(void) = {
    (void (*)(void))(uintptr_t)&_estack, /* 0: initial main stack pointer */
    Reset_Handler,                       /* 1: reset */
    default_handler,                     /* 2: NMI */
    default_handler,                     /* 3: HardFault */
    default_handler,                     /* 4: MemManage */
    default_handler,                     /* 5: BusFault */
    default_handler,                     /* 6: UsageFault */
    default_handler,                     /* 7: SecureFault (ARMv8-M) */
    0, 0, 0,                             /* 8-10: reserved */
    default_handler,                     /* 11: SVCall */
    default_handler,                     /* 12: DebugMonitor */
    0,                                   /* 13: reserved */
    default_handler,                     /* 14: PendSV */
    reparo_systick_handler,              /* 15: SysTick */
    /* 16..79: external interrupts (the an505's UART0 RX is number 32) */
    [16 ... 16 + EXTERNAL_IRQS - 1] = external_irq_handler,
};

/* Naked so that nothing touches the stack before it is set: load SP from the linker symbol
 * (also correct when a debugger or loader jumps here without going through the vector table). */
void Reset_Handler(void) {
  __asm volatile(
      "ldr r0, =_estack\n"
      "mov sp, r0\n"
      "b reset_c\n");
}

static void reset_c(void) {
#if defined(__ARM_ARCH_8M_MAIN__)
  /* ARMv8-M: stack limit, so an overflow faults instead of running into .bss */
  __asm volatile("msr msplim, %0" ::"r"(&_sstack));
#endif
#if REPARO_HAS_FPU
  /* CPACR (0xE000ED88): full access to CP10 and CP11, before any floating-point instruction. */
  REPARO_REG32(0xE000ED88) |= (0xFu << 20);
  __asm volatile("dsb\n isb" ::: "memory");
#endif
  /* copy .data from its load address in FLASH, zero .bss (word loops: the linker aligns to 4) */
  for (volatile uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (volatile uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  int rc = main();
  reparo_semihost_exit(rc);
}
