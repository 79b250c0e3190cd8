/*
 * reparo bare-metal base for RV32 (the QEMU `virt` machine; ESP32-C3-class RV32IMC cores).
 * Written for reparo; the same calls as the Cortex-M base (firmware-templates/cortex-m/reparo_fw.h),
 * so that every app builds for both. Board facts arrive as -D defines from the build:
 *   REPARO_UART0_BASE    NS16550A UART0 base address (virt: 0x10000000)
 *   REPARO_UART0_RX_IRQ  its PLIC interrupt source (virt: 10)
 *   REPARO_PLIC_BASE     the PLIC (virt: 0x0c000000)
 *   REPARO_CORE, REPARO_CLOCK_HZ, REPARO_BOARD_ID as on Cortex-M
 */
#ifndef REPARO_FW_H
#define REPARO_FW_H
#include <stdint.h>

#define REPARO_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define REPARO_REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))

/* --- NS16550A UART (polled TX; RX polled, its interrupt routed through the PLIC to wake WFI) --- */
void reparo_uart_init(void);
void reparo_uart_enable_rx_irq(void);
int reparo_uart_rx_ready(void);
void reparo_uart_rx_handler(void);     /* claims and completes the PLIC's UART interrupt */
void reparo_uart_putc(char c);
int reparo_uart_getc(void);            /* blocks until a byte arrives */
int reparo_uart_try_getc(void);        /* -1 when nothing is waiting */
void reparo_uart_puts(const char *s);  /* '\n' goes out as "\r\n" */
void reparo_uart_putu64(uint64_t v);   /* decimal */
void reparo_uart_flush(void);          /* waits until every byte written has left the transmitter */

/* --- the 64-bit mcycle counter ---
 * Under QEMU with -icount shift=0, mcycle reads the virtual clock in ns and one instruction is one ns:
 * between two reads with no WFI in between the difference is the number of instructions run. */
void reparo_counter_init(void);
uint64_t reparo_counter_ticks(void);
uint64_t reparo_counter_lap(void);     /* ticks since the last lap (or init) */
uint64_t reparo_ticks_to_instructions(uint64_t ticks);

/* --- semihosting --- */
void reparo_semihost_exit(int code) __attribute__((noreturn));

#endif
