/* NS16550A UART (QEMU virt: byte registers, no shift). RBR/THR +0, IER +1 (bit0 RX data available),
 * FCR +2, LCR +3, LSR +5 (bit0 data ready, bit5 THR empty). Its interrupt reaches the hart through the
 * PLIC: priority at +4*source, enable bits for context 0 (hart 0, M-mode) at +0x2000, threshold at
 * +0x200000, claim/complete at +0x200004. */
#include "reparo_fw.h"

#define RBR REPARO_REG8(REPARO_UART0_BASE + 0)
#define THR REPARO_REG8(REPARO_UART0_BASE + 0)
#define IER REPARO_REG8(REPARO_UART0_BASE + 1)
#define FCR REPARO_REG8(REPARO_UART0_BASE + 2)
#define LCR REPARO_REG8(REPARO_UART0_BASE + 3)
#define LSR REPARO_REG8(REPARO_UART0_BASE + 5)
#define LSR_DR 0x01u
#define LSR_THRE 0x20u
#define LSR_TEMT 0x40u

#define PLIC_PRIORITY(s) REPARO_REG32(REPARO_PLIC_BASE + 4u * (s))
#define PLIC_ENABLE(s) REPARO_REG32(REPARO_PLIC_BASE + 0x2000u + 4u * ((s) / 32u))
#define PLIC_THRESHOLD REPARO_REG32(REPARO_PLIC_BASE + 0x200000u)
#define PLIC_CLAIM REPARO_REG32(REPARO_PLIC_BASE + 0x200004u)
#define MIE_MEIE (1u << 11)

void reparo_uart_init(void) {
  LCR = 0x03u; /* 8 data bits, no parity, 1 stop bit; QEMU ignores the divisor */
  FCR = 0x07u; /* FIFOs on and cleared */
  IER = 0x00u;
}

void reparo_uart_putc(char c) {
  while (!(LSR & LSR_THRE)) {
  }
  THR = (uint8_t)c;
}

/* QEMU's 16550 holds bytes its host side could not take yet (a full pipe) with TEMT clear: an exit
 * before they leave would lose them. */
void reparo_uart_flush(void) {
  while (!(LSR & LSR_TEMT)) {
  }
}

void reparo_uart_enable_rx_irq(void) {
  IER = 0x01u;
  PLIC_PRIORITY(REPARO_UART0_RX_IRQ) = 1u;
  PLIC_ENABLE(REPARO_UART0_RX_IRQ) |= 1u << (REPARO_UART0_RX_IRQ % 32u);
  PLIC_THRESHOLD = 0u;
  /* external interrupts may wake WFI; mstatus.MIE stays 0, so none is ever taken */
  __asm volatile("csrs mie, %0" ::"r"(MIE_MEIE));
}

/* The UART's level drops once its FIFO is read empty; completing the claim lets the PLIC sample it again. */
void reparo_uart_rx_handler(void) {
  uint32_t id = PLIC_CLAIM;
  if (id) PLIC_CLAIM = id;
}

int reparo_uart_rx_ready(void) { return (LSR & LSR_DR) != 0; }

int reparo_uart_try_getc(void) { return (LSR & LSR_DR) ? (int)RBR : -1; }
