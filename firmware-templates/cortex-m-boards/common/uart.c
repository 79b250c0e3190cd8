/* reparo_uart_* on a real board: the family's polled UART (board_uart.h) plus a receive ring that
 * the RX interrupt fills. On hardware the RX interrupt cannot be acknowledged without reading the
 * byte (STM32 RXNE, nRF RXDRDY, PL011 RX/RT), so the handler moves bytes into the ring and getc
 * takes them from there; bytes that arrive while the app is busy also stop overrunning the UART. */
#include "reparo_fw.h"
#include "board_uart.h"

#define NVIC_ISER(n) REPARO_REG32(0xE000E100u + 4u * (n))
#define RING_SIZE 256u /* a power of two: the indices wrap by masking */

static volatile uint8_t ring[RING_SIZE];
static volatile uint32_t head, tail; /* head: written by the handler only; tail: by the reader only */

void reparo_uart_init(void) { board_uart_init(); }

void reparo_uart_putc(char c) { board_uart_putc((uint8_t)c); }

void reparo_uart_enable_rx_irq(void) {
  board_uart_enable_rx_irq();
  NVIC_ISER(REPARO_UART0_RX_IRQ / 32u) = 1u << (REPARO_UART0_RX_IRQ % 32u);
}

void reparo_uart_rx_handler(void) {
  int c;
  while ((c = board_uart_poll()) >= 0) {
    if (head - tail < RING_SIZE) { /* full: drop the byte; the HIL frame CRC reports the loss */
      ring[head % RING_SIZE] = (uint8_t)c;
      head++;
    }
  }
}

int reparo_uart_rx_ready(void) {
  if (head != tail) return 1;
  /* With the interrupt off (polled use) the byte is still in the UART: drain it here, masked so that
   * the handler cannot run in between and write `head` too. */
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  reparo_uart_rx_handler();
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  return head != tail;
}

int reparo_uart_try_getc(void) {
  if (!reparo_uart_rx_ready()) return -1;
  int c = ring[tail % RING_SIZE];
  tail++;
  return c;
}
