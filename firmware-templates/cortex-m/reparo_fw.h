/*
 * reparo bare-metal base for Cortex-M (virtual MPS2 boards and, later, real ones).
 * Written for reparo; no vendor/CMSIS files. Board facts arrive as -D defines from the build:
 *   REPARO_UART0_BASE  CMSDK APB UART0 base address (e.g. 0x40004000)
 *   REPARO_CORE        core name string (e.g. "cortex-m4f")
 *   REPARO_CLOCK_HZ    SysTick processor clock in Hz (QEMU: the board's sysclk)
 *   REPARO_HAS_FPU     1 when the image is built for the hardware FPU
 */
#ifndef REPARO_FW_H
#define REPARO_FW_H
#include <stdint.h>

#define REPARO_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* --- CMSDK APB UART (polled) --- */
void reparo_uart_init(void);
void reparo_uart_putc(char c);
int reparo_uart_getc(void);            /* blocks until a byte arrives */
int reparo_uart_try_getc(void);        /* -1 when nothing is waiting */
void reparo_uart_puts(const char *s);  /* '\n' goes out as "\r\n" */
void reparo_uart_putu64(uint64_t v);   /* decimal */

/* --- SysTick tick counter (24-bit reload 0xFFFFFF, wraps counted in the SysTick ISR) ---
 * Under QEMU with -icount shift=0 one instruction is one virtual nanosecond, so SysTick advances
 * REPARO_CLOCK_HZ / 1e9 ticks per instruction: deterministic, but it counts instructions, not cycles. */
void reparo_counter_init(void);
uint64_t reparo_counter_ticks(void);
/* ticks → instructions under -icount shift=0 (1 instruction = 1 ns of virtual time) */
uint64_t reparo_ticks_to_instructions(uint64_t ticks);

/* --- semihosting --- */
void reparo_semihost_exit(int code) __attribute__((noreturn));

#endif
