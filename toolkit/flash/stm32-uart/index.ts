/** STM32 system-memory UART bootloader (ST AN3155): flash a raw image over a serial port. */
export { flashStm32Uart, openStm32BootPort, boardDeviceId, type Stm32FlashOptions, type Stm32FlashResult, type FlashPhase } from './loader.ts';
export { Stm32Bootloader, DEFAULT_TIMEOUTS, type Timeouts, type BootloaderInfo } from './protocol.ts';
export { STM32_DEVICES, findStm32Device, flashSize, unitRange, unitsCovering, type Stm32Device } from './devices.ts';
export { parseResetSequence, playResetSequence, type ResetOutcome } from './reset.ts';
export { elfToBin } from './elf.ts';
