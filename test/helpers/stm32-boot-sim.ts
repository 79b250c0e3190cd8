/**
 * A fake STM32 system-memory bootloader (AN3155, UART) on one end of a socat pty pair; clients
 * (stm32flash, reparo) talk to `sim.port`. Written from the application note, independently of
 * reparo's client (no shared code), and proven honest against Debian's stm32flash.
 * Flash behaves like NOR flash: erased = 0xFF, a write can only clear bits (new = old AND data).
 * Faults are injected by setting `sim.faults` fields between or during runs.
 */
import { openSerialPort } from '../../toolkit/serial/serialport.ts';
import type { Transport } from '../../toolkit/serial/transport.ts';
import { ptyPair, type PtyPair } from './pty-pair.ts';

const ACK = 0x79, NACK = 0x1f;
const K = 1024;

export interface SimChip {
  id: number;
  /** bootloader version byte (0x31 = v3.1) */
  version: number;
  flashBase: number;
  /** erase unit sizes in order (sectors or pages) */
  units: number[];
  ramBase: number;
  ramSize: number;
  /** the erase command the chip's bootloader has: Extended Erase (0x44) or the older Erase (0x43) */
  erase: 0x43 | 0x44;
}

/** Layouts written down here from the reference manuals, separately from toolkit/flash/stm32-uart/devices.ts. */
export const SIM_CHIPS = {
  f446: { id: 0x421, version: 0x31, flashBase: 0x08000000, units: [16 * K, 16 * K, 16 * K, 16 * K, 64 * K, 128 * K, 128 * K, 128 * K], ramBase: 0x20000000, ramSize: 128 * K, erase: 0x44 },
  f746: { id: 0x449, version: 0x31, flashBase: 0x08000000, units: [32 * K, 32 * K, 32 * K, 32 * K, 128 * K, 256 * K, 256 * K, 256 * K], ramBase: 0x20000000, ramSize: 320 * K, erase: 0x44 },
  f103: { id: 0x410, version: 0x22, flashBase: 0x08000000, units: new Array<number>(128).fill(K), ramBase: 0x20000000, ramSize: 20 * K, erase: 0x43 },
} satisfies Record<string, SimChip>;

export interface SimFaults {
  /** answer nothing at all (board not in its bootloader) */
  silent: boolean;
  /** NACK the data phase of the next n Write Memory commands (nothing written) */
  nackWrites: number;
  /** write, then answer the next n Write Memory data phases with a garbled byte instead of ACK */
  garbleWriteAcks: number;
  /** go silent after this many more successful writes (null: never) */
  silentAfterWrites: number | null;
  /** flash addresses whose cell does not take writes (keeps its value) */
  stuckCells: Set<number>;
  /** answer the autobaud 0x7F this late (a loaded host, a slow USB bridge) */
  syncDelayMs: number;
}

export class Stm32BootSim {
  readonly flash: Uint8Array;
  readonly ram: Uint8Array;
  faults: SimFaults = { silent: false, nackWrites: 0, garbleWriteAcks: 0, silentAfterWrites: null, stuckCells: new Set(), syncDelayMs: 0 };
  /** every command code received, in order, and the erase units erased */
  readonly commands: number[] = [];
  readonly erasedUnits: number[] = [];
  massErases = 0;
  /** set by Go; the bootloader then stops answering, like a chip running its application */
  goAddress: number | null = null;
  private synced = false;
  private readonly rx: number[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    readonly chip: SimChip,
    private readonly pty: PtyPair,
    private readonly t: Transport,
  ) {
    this.flash = new Uint8Array(chip.units.reduce((a, b) => a + b, 0)).fill(0xff);
    this.ram = new Uint8Array(chip.ramSize);
  }

  /** the pty a client opens */
  get port(): string {
    return this.pty.b;
  }

  static async start(chip: SimChip = SIM_CHIPS.f446): Promise<Stm32BootSim> {
    const pty = await ptyPair();
    const t = await openSerialPort(pty.a, 115200);
    const sim = new Stm32BootSim(chip, pty, t);
    sim.loop = sim.run().catch(() => {}); // ends with E_SERIAL when stop() closes the port
    return sim;
  }

  /** back to the state after a reset with BOOT0=1: waits for 0x7F again */
  reset(): void {
    this.synced = false;
    this.goAddress = null;
    this.rx.length = 0; // in place: a read in flight appends to this same array
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.t.close();
    await this.loop;
    this.pty.close();
  }

  private async byte(): Promise<number> {
    while (!this.rx.length) {
      if (this.stopped) throw new Error('stopped');
      const got = await this.t.read(100);
      this.rx.push(...got);
    }
    return this.rx.shift()!;
  }

  private async bytes(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await this.byte());
    return out;
  }

  private async send(...b: number[]): Promise<void> {
    if (!this.faults.silent && this.goAddress === null) await this.t.write(Uint8Array.from(b));
  }

  private async run(): Promise<void> {
    for (;;) {
      const b = await this.byte();
      if (this.faults.silent || this.goAddress !== null) continue;
      if (!this.synced) {
        // before autobaud the chip only reacts to 0x7F
        if (b === 0x7f) {
          this.synced = true;
          if (this.faults.syncDelayMs) await new Promise((r) => setTimeout(r, this.faults.syncDelayMs));
          await this.send(ACK);
        }
        continue;
      }
      const c = await this.byte();
      if ((b ^ c) !== 0xff) {
        await this.send(NACK);
        continue;
      }
      this.commands.push(b);
      await this.command(b);
    }
  }

  private async command(code: number): Promise<void> {
    const cmds = [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, this.chip.erase, 0x63, 0x73, 0x82, 0x92];
    switch (code) {
      case 0x00:
        return this.send(ACK, cmds.length, this.chip.version, ...cmds, ACK);
      case 0x01:
        return this.send(ACK, this.chip.version, 0x00, 0x00, ACK);
      case 0x02:
        return this.send(ACK, 0x01, this.chip.id >> 8, this.chip.id & 0xff, ACK);
      case 0x11:
        return this.readMemory();
      case 0x21:
        return this.go();
      case 0x31:
        return this.writeMemory();
      case 0x43:
      case 0x44:
        if (code === this.chip.erase) return code === 0x44 ? this.extendedErase() : this.erase();
        return this.send(NACK);
      default:
        // write/readout protection commands are listed (as on real chips) but not simulated
        return this.send(NACK);
    }
  }

  /** address frame; null (after NACK) when the checksum is wrong */
  private async address(): Promise<number | null> {
    const a = await this.bytes(5);
    if ((a[0]! ^ a[1]! ^ a[2]! ^ a[3]!) !== a[4]) return null;
    return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
  }

  /** memory and offset holding [addr, addr+n), or null when that is not all flash or all RAM */
  private region(addr: number, n: number): { mem: Uint8Array; off: number; isFlash: boolean } | null {
    const inside = (base: number, size: number) => addr >= base && addr + n <= base + size;
    if (inside(this.chip.flashBase, this.flash.length)) return { mem: this.flash, off: addr - this.chip.flashBase, isFlash: true };
    if (inside(this.chip.ramBase, this.ram.length)) return { mem: this.ram, off: addr - this.chip.ramBase, isFlash: false };
    return null;
  }

  private async readMemory(): Promise<void> {
    await this.send(ACK);
    const addr = await this.address();
    if (addr === null || !this.region(addr, 1)) return this.send(NACK);
    await this.send(ACK);
    const [n, nc] = await this.bytes(2);
    const r = (n! ^ nc!) === 0xff ? this.region(addr, n! + 1) : null;
    if (!r) return this.send(NACK);
    await this.send(ACK, ...r.mem.subarray(r.off, r.off + n! + 1));
  }

  private async writeMemory(): Promise<void> {
    await this.send(ACK);
    const addr = await this.address();
    if (addr === null || addr % 4 || !this.region(addr, 1)) return this.send(NACK);
    await this.send(ACK);
    const n = (await this.byte()) + 1;
    const data = await this.bytes(n);
    const sum = await this.byte();
    const r = this.region(addr, n);
    if (!r || n % 4 || data.reduce((x, y) => x ^ y, n - 1) !== sum) return this.send(NACK);
    const f = this.faults;
    if (f.nackWrites > 0) {
      f.nackWrites--;
      return this.send(NACK);
    }
    for (let i = 0; i < n; i++) {
      if (!r.isFlash) r.mem[r.off + i] = data[i]!;
      else if (!f.stuckCells.has(addr + i)) r.mem[r.off + i]! &= data[i]!;
    }
    if (f.silentAfterWrites !== null && f.silentAfterWrites-- <= 0) {
      f.silent = true;
      return;
    }
    if (f.garbleWriteAcks > 0) {
      f.garbleWriteAcks--;
      return this.send(ACK ^ 0x10);
    }
    await this.send(ACK);
  }

  private eraseUnit(u: number): void {
    let start = 0;
    for (let i = 0; i < u; i++) start += this.chip.units[i]!;
    this.flash.fill(0xff, start, start + this.chip.units[u]!);
    this.erasedUnits.push(u);
  }

  private async extendedErase(): Promise<void> {
    await this.send(ACK);
    const [hi, lo] = await this.bytes(2);
    const count = (hi! << 8) | lo!;
    if (count >= 0xfff0) {
      // special erases: 0xFFFF mass, 0xFFFE bank 1, 0xFFFD bank 2 (single-bank chips: all the same here)
      const [sum] = await this.bytes(1);
      if (sum !== (hi! ^ lo!) || count < 0xfffd) return this.send(NACK);
      this.flash.fill(0xff);
      this.massErases++;
      return this.send(ACK);
    }
    const raw = await this.bytes(2 * (count + 1));
    const [sum] = await this.bytes(1);
    if ([hi!, lo!, ...raw].reduce((x, y) => x ^ y, 0) !== sum) return this.send(NACK);
    const units: number[] = [];
    for (let i = 0; i < raw.length; i += 2) units.push((raw[i]! << 8) | raw[i + 1]!);
    if (units.some((u) => u >= this.chip.units.length)) return this.send(NACK);
    units.forEach((u) => this.eraseUnit(u));
    await this.send(ACK);
  }

  private async erase(): Promise<void> {
    await this.send(ACK);
    const n = await this.byte();
    if (n === 0xff) {
      const [sum] = await this.bytes(1);
      if (sum !== 0x00) return this.send(NACK);
      this.flash.fill(0xff);
      this.massErases++;
      return this.send(ACK);
    }
    const pages = await this.bytes(n + 1);
    const [sum] = await this.bytes(1);
    if (pages.reduce((x, y) => x ^ y, n) !== sum || pages.some((p) => p >= this.chip.units.length)) return this.send(NACK);
    pages.forEach((p) => this.eraseUnit(p));
    await this.send(ACK);
  }

  private async go(): Promise<void> {
    await this.send(ACK);
    const addr = await this.address();
    if (addr === null || !this.region(addr, 4)) return this.send(NACK);
    // the chip jumps as it acknowledges: goAddress is set before the ACK can reach the host, so a host
    // that saw the ACK sees the jump, and a reset() that follows is not undone by a late assignment
    this.goAddress = addr;
    if (!this.faults.silent) await this.t.write(Uint8Array.of(ACK));
  }
}
