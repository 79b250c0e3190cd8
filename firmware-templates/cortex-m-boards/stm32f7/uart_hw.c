/* STM32F746G-DISCO: USART1 on PA9 (TX) / PB7 (RX), wired to the ST-LINK/V2-1 virtual COM port
 * (UM1907 board manual). Register facts from RM0385 (STM32F75xxx/74xxx reference manual):
 *   RCC 0x4002 3800: AHB1ENR +0x30 (bit0 GPIOAEN, bit1 GPIOBEN), APB2ENR +0x44 (bit4 USART1EN);
 *     DCKCFGR2 USART1SEL resets to 0b00 = PCLK2
 *   GPIOA 0x4002 0000, GPIOB 0x4002 0400: MODER +0x00 (0b10 alternate function), AFRL +0x20, AFRH +0x24
 *   PA9 = USART1_TX and PB7 = USART1_RX on AF7 (DS10916 alternate function table)
 *   USART1 0x4001 1000 (the F7's newer USART, not the F4's): CR1 +0x00 (bit0 UE, bit2 RE, bit3 TE,
 *     bit5 RXNEIE), CR3 +0x08 (bit12 OVRDIS), BRR +0x0C, ISR +0x1C (bit5 RXNE, bit7 TXE), RDR +0x24, TDR +0x28.
 * Overrun detection is switched off (OVRDIS) so that a lost byte never blocks reception; the HIL
 * frame CRC reports the loss. After reset PCLK2 = HSI 16 MHz: BRR = 16 MHz / 115200 (oversampling by 16). */
#include "reparo_fw.h"
#include "board_uart.h"

#define RCC_AHB1ENR REPARO_REG32(0x40023830u)
#define RCC_APB2ENR REPARO_REG32(0x40023844u)
#define GPIOA_MODER REPARO_REG32(0x40020000u)
#define GPIOA_AFRH REPARO_REG32(0x40020024u)
#define GPIOB_MODER REPARO_REG32(0x40020400u)
#define GPIOB_AFRL REPARO_REG32(0x40020420u)
#define USART1_CR1 REPARO_REG32(0x40011000u)
#define USART1_CR3 REPARO_REG32(0x40011008u)
#define USART1_BRR REPARO_REG32(0x4001100Cu)
#define USART1_ISR REPARO_REG32(0x4001101Cu)
#define USART1_RDR REPARO_REG32(0x40011024u)
#define USART1_TDR REPARO_REG32(0x40011028u)
#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR3_OVRDIS (1u << 12)
#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)
#define AF_USART1 7u

void board_uart_init(void) {
  RCC_AHB1ENR |= (1u << 0) | (1u << 1);
  RCC_APB2ENR |= 1u << 4;
  (void)RCC_APB2ENR; /* a read back: the clock is on before the first peripheral access */
  GPIOA_MODER = (GPIOA_MODER & ~(0x3u << 18)) | (0x2u << 18);  /* PA9 */
  GPIOA_AFRH = (GPIOA_AFRH & ~(0xFu << 4)) | (AF_USART1 << 4); /* PA9 is pin 1 of AFRH */
  GPIOB_MODER = (GPIOB_MODER & ~(0x3u << 14)) | (0x2u << 14);  /* PB7 */
  GPIOB_AFRL = (GPIOB_AFRL & ~(0xFu << 28)) | (AF_USART1 << 28);
  USART1_CR1 = 0; /* UE = 0: BRR and CR3 may only be written while the USART is disabled */
  USART1_CR3 = CR3_OVRDIS;
  USART1_BRR = (REPARO_CLOCK_HZ + REPARO_BAUD / 2u) / REPARO_BAUD;
  USART1_CR1 = CR1_UE | CR1_TE | CR1_RE; /* 8 data bits, no parity */
}

void board_uart_putc(uint8_t c) {
  while (!(USART1_ISR & ISR_TXE)) {
  }
  USART1_TDR = c;
}

int board_uart_poll(void) { return (USART1_ISR & ISR_RXNE) ? (int)(USART1_RDR & 0xFFu) : -1; }

void board_uart_enable_rx_irq(void) { USART1_CR1 |= CR1_RXNEIE; }
