/*
 * What each family's uart_hw.c provides to common/uart.c: the UART wired to the board's USB serial
 * bridge, at 115200 8N1, polled byte by byte. common/uart.c builds the reparo_uart_* functions of
 * firmware-templates/cortex-m/reparo_fw.h on top (receive ring filled by the RX interrupt, text output).
 */
#ifndef REPARO_BOARD_UART_H
#define REPARO_BOARD_UART_H
#include <stdint.h>

#define REPARO_BAUD 115200u

void board_uart_init(void);           /* clocks, pins, UART on */
void board_uart_putc(uint8_t c);      /* blocks while the transmitter is full */
int board_uart_poll(void);            /* the next received byte, -1 when none is waiting */
void board_uart_enable_rx_irq(void);  /* the peripheral's RX interrupt, not the NVIC line */

#endif
