/*
 * reparo bare-metal base for Cortex-M (virtual MPS2 boards and, later, real ones).
 * Written for reparo; no vendor/CMSIS files. Board facts arrive as -D defines from the build:
 *   REPARO_UART0_BASE  CMSDK APB UART0 base address (e.g. 0x40004000)
 *   REPARO_CORE        core name string (e.g. "cortex-m4f")
 *   REPARO_CLOCK_HZ    SysTick processor clock in Hz (QEMU: the board's sysclk)
 *   REPARO_HAS_FPU     1 when the image is built for the hardware FPU
 *   REPARO_UART0_RX_IRQ  external interrupt number of UART0's receive interrupt
 *                      (QEMU mps2.c: 0 on an385/an386/an500; mps2-tz.c: 32 on an505)
 *   REPARO_BOARD_ID    board id string (e.g. "qemu-mps2-an386")
 */
#ifndef REPARO_FW_H
#define REPARO_FW_H
#include <stdint.h>

#define REPARO_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* --- CMSDK APB UART (polled TX; RX polled or woken by its interrupt) --- */
void reparo_uart_init(void);
/* Enables UART0's RX interrupt (CTRL.RXINTEN and the NVIC line) so that WFI wakes when a byte arrives. */
void reparo_uart_enable_rx_irq(void);
int reparo_uart_rx_ready(void);
void reparo_uart_rx_handler(void);     /* clears the RX interrupt; the byte stays in DATA for getc */
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
/* Ticks since the last lap (or init), then restarts the counter. Under -icount the restart happens at a
 * fixed instruction, so the ticks between two laps depend only on the instructions run in between,
 * not on the phase of SysTick (which idle time under WFI shifts): counts repeat exactly. */
uint64_t reparo_counter_lap(void);
/* ticks → instructions under -icount shift=0 (1 instruction = 1 ns of virtual time) */
uint64_t reparo_ticks_to_instructions(uint64_t ticks);

/* --- semihosting --- */
void reparo_semihost_exit(int code) __attribute__((noreturn));

#endif
