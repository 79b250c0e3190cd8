/** The ESP32 family's ROM serial loader: flashing over a Transport without a stub. */
export { flashEspRom, type EspFlashReport, type FlashEspRomOptions } from './flash.ts';
export { EspRomLoader, RomRefusal, GarbledAnswer, inflatedBlockSizes, type LoaderOptions } from './loader.ts';
export { imageRegions, checkRegions, type EspImage, type EspImageParts, type FlashRegion } from './image.ts';
export { ESP_CHIPS, chipById, calibratedRomBaud, type EspChip, type EspChipId } from './chips.ts';
export { parseResetSequence, runResetSequence, resetPlanFor, CLASSIC_RESET, USB_JTAG_SERIAL_RESET, HARD_RESET, USB_JTAG_SERIAL_HARD_RESET, type ResetStep, type ResetPlan } from './reset.ts';
export { slipEncode, SlipDecoder } from './slip.ts';
export { Op, checksum, encodeRequest, decodeResponse, type RomResponse } from './protocol.ts';
