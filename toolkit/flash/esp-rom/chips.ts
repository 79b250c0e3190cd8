/**
 * The ESP32 family as data (facts from esptool's targets/*.py): how each ROM identifies itself, where
 * an ESP-IDF image's bootloader goes, and the few places where the ROM protocol differs per chip.
 * Chips from the S3 on answer GET_SECURITY_INFO with a chip id; the ESP32 does not know that command
 * and the S2's answer has no id, so those two are told apart by the magic word at 0x40001000.
 */

export type EspChipId = 'esp32' | 'esp32s2' | 'esp32s3' | 'esp32c3' | 'esp32c2' | 'esp32c6' | 'esp32h2';

export interface EspChip {
  id: EspChipId;
  name: string;
  /** values of the word at CHIP_DETECT_MAGIC_REG (several silicon revisions of the C3) */
  magic: readonly number[];
  /** chip_id in the GET_SECURITY_INFO answer (= the image header's chip id) */
  securityChipId?: number;
  /** FLASH_BEGIN / FLASH_DEFL_BEGIN take a fifth word (encrypted write) on every ROM but the ESP32's */
  beginHasEncryptWord: boolean;
  /** where the second-stage bootloader of an ESP-IDF image lives */
  bootloaderOffset: number;
  /**
   * The ESP32 ROM computes the divisor for CHANGE_BAUDRATE from its drifting 8 MHz clock; esptool
   * sends a baud rate scaled by (ROM's crystal estimate / real crystal). The estimate is
   * cali × 15625 × ck8m / 40 with cali = (reg(rtcCali) >> 7) & 0x1FFFFFF and ck8m = reg(efuseCk8m) & 0xFF.
   */
  romBaudCalibration?: { rtcCaliReg: number; efuseCk8mReg: number };
}

export const CHIP_DETECT_MAGIC_REG = 0x40001000;
/** ROM FLASH_DATA block: the ROM loader's buffer size */
export const FLASH_WRITE_SIZE = 0x400;
/** The ROM erases whole sectors and can only start a write at a sector boundary */
export const FLASH_SECTOR_SIZE = 0x1000;
/** ESP-IDF's default layout (same on every chip; only the bootloader offset differs) */
export const PARTITION_TABLE_OFFSET = 0x8000;
export const APP_OFFSET = 0x10000;

export const ESP_CHIPS: readonly EspChip[] = [
  { id: 'esp32', name: 'ESP32', magic: [0x00f01d83], beginHasEncryptWord: false, bootloaderOffset: 0x1000, romBaudCalibration: { rtcCaliReg: 0x3ff5f06c, efuseCk8mReg: 0x3ff5a010 } },
  { id: 'esp32s2', name: 'ESP32-S2', magic: [0x000007c6], securityChipId: 2, beginHasEncryptWord: true, bootloaderOffset: 0x1000 },
  { id: 'esp32s3', name: 'ESP32-S3', magic: [0x9], securityChipId: 9, beginHasEncryptWord: true, bootloaderOffset: 0x0 },
  { id: 'esp32c3', name: 'ESP32-C3', magic: [0x6921506f, 0x1b31506f, 0x4881606f, 0x4361606f], securityChipId: 5, beginHasEncryptWord: true, bootloaderOffset: 0x0 },
  { id: 'esp32c2', name: 'ESP32-C2', magic: [], securityChipId: 12, beginHasEncryptWord: true, bootloaderOffset: 0x0 },
  { id: 'esp32c6', name: 'ESP32-C6', magic: [], securityChipId: 13, beginHasEncryptWord: true, bootloaderOffset: 0x0 },
  { id: 'esp32h2', name: 'ESP32-H2', magic: [], securityChipId: 16, beginHasEncryptWord: true, bootloaderOffset: 0x0 },
];

export function chipById(id: string): EspChip | undefined {
  return ESP_CHIPS.find((c) => c.id === id);
}

export function chipByMagic(value: number): EspChip | undefined {
  return ESP_CHIPS.find((c) => c.magic.includes(value >>> 0));
}

export function chipBySecurityId(id: number): EspChip | undefined {
  return ESP_CHIPS.find((c) => c.securityChipId === id);
}

/**
 * The baud rate to ask the ESP32 ROM for so that it really runs at `baud` (see romBaudCalibration).
 * A reading more than 10 % off either crystal is not a calibration (unreadable registers): ask for `baud`.
 */
export function calibratedRomBaud(baud: number, rtcCaliRegValue: number, efuseCk8mRegValue: number): number {
  const cali = (rtcCaliRegValue >>> 7) & 0x1ffffff;
  const romXtal = (cali * 15625 * (efuseCk8mRegValue & 0xff)) / 40;
  const realXtal = romXtal > 33_000_000 ? 40_000_000 : 26_000_000;
  if (Math.abs(romXtal / realXtal - 1) > 0.1) return baud;
  return Math.floor((baud * romXtal) / realXtal);
}
