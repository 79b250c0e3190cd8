/* NUCLEO-F446RE: USART2 on PA2 (TX) / PA3 (RX), wired to the ST-LINK/V2-1 virtual COM port
 * (UM1724 board manual). Register facts from RM0390 (STM32F446xx reference manual):
 *   RCC 0x4002 3800: AHB1ENR +0x30 (bit0 GPIOAEN), APB1ENR +0x40 (bit17 USART2EN)
 *   GPIOA 0x4002 0000: MODER +0x00 (2 bits per pin, 0b10 alternate function), AFRL +0x20 (4 bits per pin)
 *   PA2 = USART2_TX and PA3 = USART2_RX on AF7 (DS10693 alternate function table)
 *   USART2 0x4000 4400: SR +0x00 (bit5 RXNE, bit7 TXE), DR +0x04, BRR +0x08, CR1 +0x0C
 *     (bit13 UE, bit5 RXNEIE, bit3 TE, bit2 RE). Reading SR then DR clears RXNE and ORE.
 * The base does not touch the clock tree: after reset the core and APB1 run from HSI at 16 MHz, so
 * BRR = 16 MHz / 115200 (oversampling by 16: USARTDIV in 12.4 fixed point = the plain quotient). */
#include "reparo_fw.h"
#include "board_uart.h"

#define RCC_AHB1ENR REPARO_REG32(0x40023830u)
#define RCC_APB1ENR REPARO_REG32(0x40023840u)
#define GPIOA_MODER REPARO_REG32(0x40020000u)
#define GPIOA_AFRL REPARO_REG32(0x40020020u)
#define USART2_SR REPARO_REG32(0x40004400u)
#define USART2_DR REPARO_REG32(0x40004404u)
#define USART2_BRR REPARO_REG32(0x40004408u)
#define USART2_CR1 REPARO_REG32(0x4000440Cu)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_UE (1u << 13)
#define CR1_RXNEIE (1u << 5)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)
#define AF_USART2 7u

void board_uart_init(void) {
  RCC_AHB1ENR |= 1u << 0;
  RCC_APB1ENR |= 1u << 17;
  (void)RCC_APB1ENR; /* a read back: the clock is on before the first peripheral access */
  GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);            /* PA2, PA3: alternate function */
  GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (AF_USART2 << 8) | (AF_USART2 << 12);
  USART2_BRR = (REPARO_CLOCK_HZ + REPARO_BAUD / 2u) / REPARO_BAUD;
  USART2_CR1 = CR1_UE | CR1_TE | CR1_RE; /* 8 data bits, no parity (M = 0, PCE = 0) */
}

void board_uart_putc(uint8_t c) {
  while (!(USART2_SR & SR_TXE)) {
  }
  USART2_DR = c;
}

int board_uart_poll(void) { return (USART2_SR & SR_RXNE) ? (int)(USART2_DR & 0xFFu) : -1; }

void board_uart_enable_rx_irq(void) { USART2_CR1 |= CR1_RXNEIE; }
