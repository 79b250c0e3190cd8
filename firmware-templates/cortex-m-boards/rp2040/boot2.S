/*
 * RP2040 second-stage boot (boot2), written for reparo from the RP2040 datasheet (2.8.1 boot
 * sequence, 4.10 SSI). The boot ROM copies the first 256 bytes of flash to SRAM, checks the CRC-32
 * in their last 4 bytes (polynomial 0x04C11DB7, initial value 0xFFFFFFFF, not reflected, no final
 * XOR, over the first 252 bytes) and runs them. This stage sets the SSI up for execute-in-place with
 * the plain 03h serial read that every SPI flash knows (slow, but it needs nothing chip-specific), then
 * enters the image: VTOR, stack pointer and reset vector from the table at flash + 0x100.
 * The CRC is not known here: the host fills it in (toolkit/flash/tools/rp2040-boot2.ts) before the
 * image is flashed. The code is position independent (it runs from SRAM): literals are PC-relative.
 *   XIP_SSI 0x1800 0000: CTRLR0 +0x00 (SPI_FRF 22:21, DFS_32 20:16, TMOD 9:8 = 3 EEPROM read),
 *   CTRLR1 +0x04 (NDF), SSIENR +0x08, BAUDR +0x14, SPI_CTRLR0 +0xF4 (XIP_CMD 31:24, INST_L 9:8 = 2
 *   for 8 bits, ADDR_L 5:2 in 4-bit units, TRANS_TYPE 1:0 = 0 instruction and address in serial)
 */
  .syntax unified
  .cpu cortex-m0plus
  .thumb
  .section .boot2, "ax"
  .global reparo_boot2
  .type reparo_boot2, %function
reparo_boot2:
  ldr r3, =0x18000000
  movs r1, #0
  str r1, [r3, #0x08]          /* SSIENR = 0: the SSI can only be configured while off */
  movs r1, #4
  str r1, [r3, #0x14]          /* BAUDR: SCK = clk_sys / 4 */
  ldr r1, =((31 << 16) | (3 << 8))
  str r1, [r3, #0x00]          /* CTRLR0: 32-bit frames, EEPROM read, standard SPI */
  ldr r1, =((0x03 << 24) | (2 << 8) | (6 << 2))
  ldr r2, =0x180000F4
  str r1, [r2]                 /* SPI_CTRLR0: command 03h, 8-bit instruction, 24-bit address */
  movs r1, #0
  str r1, [r3, #0x04]          /* CTRLR1: one data frame per transfer */
  movs r1, #1
  str r1, [r3, #0x08]          /* SSIENR = 1: flash is now mapped at 0x1000 0000 */
  ldr r0, =0x10000100
  ldr r1, =0xE000ED08
  str r0, [r1]                 /* VTOR = the image's vector table */
  ldmia r0!, {r1, r2}
  msr msp, r1
  bx r2
  .ltorg
