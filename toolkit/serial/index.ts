/**
 * Serial transport and HIL framing.
 *
 *   openSerialPort(path, baud) → Transport     real ports and ptys (node-serialport)
 *   MockTransport                              strict in-memory Transport for tests
 *   encodeHostFrame(body) / decodeDeviceLine   protocol v1 frames with length + CRC-32
 *   FrameReader(transport).next(timeoutMs)     the next device line: frame | garbled | unframed | null
 *   crc32 / crc32Hex                           zlib's CRC-32
 */
export type { Transport } from './transport.ts';
export { openSerialPort } from './serialport.ts';
export { MockTransport } from './mock-transport.ts';
export { crc32, crc32Hex } from './crc32.ts';
export { HOST_BODY_MAX, decodeDeviceLine, encodeDeviceFrame, encodeHostFrame, type DeviceLine } from './frame.ts';
export { FrameReader, type LineStats } from './line-reader.ts';
export { reopenSerialPort } from './serialport.ts';
export { listPorts, findBoardPort, boardsForUsb, type PortInfo, type PortListing } from './ports.ts';
