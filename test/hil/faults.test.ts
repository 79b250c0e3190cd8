/**
 * Faults on the serial line, with the real protocol loop and the generated model built for the host
 * behind a real pty (socat), or a MockTransport: a corrupted reply byte is detected and retried with
 * the right result; a silent board is E_TIMEOUT within its timeout; a board running another model is
 * E_HIL; the port vanishing mid-transfer is E_SERIAL without a hang. Oracle for outputs: the int8
 * reference interpreter.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeHilApp } from '../../toolkit/codegen/hil-app.ts';
import { HilClient } from '../../toolkit/hil/index.ts';
import { createInterpreter } from '../../toolkit/int8/index.ts';
import { MockTransport } from '../../toolkit/serial/index.ts';
import { modelHash, type TfliteModel } from '../../toolkit/tflite/index.ts';
import { buildHostFirmware, corrupting, fixtureModel, hostFirmwareOnPty } from './helpers.ts';

let exe: string;
let model: TfliteModel;
let input: Int8Array;
beforeAll(async () => {
  ({ model, inputs: [input] } = (await fixtureModel()) as { model: TfliteModel; inputs: [Int8Array] });
  const app = join(mkdtempSync(join(tmpdir(), 'reparo-hil-faults-')), 'app');
  writeHilApp(app, model);
  exe = buildHostFirmware(app);
}, 180_000);

describe('HIL faults', () => {
  it('detects a flipped byte in a reply, retries, and still gets the interpreter\'s output', async () => {
    const fw = await hostFirmwareOnPty(exe);
    let flipped = 0;
    // flip one byte in the middle of the first chunk that carries the m-results frame
    const port = corrupting(fw.transport, (b) => {
      const s = Buffer.from(b).toString('latin1');
      if (flipped || !s.includes('m-results')) return b;
      flipped++;
      const out = Buffer.from(b);
      out[s.indexOf('hex=') + 5] ^= 0x01;
      return out;
    });
    try {
      const hil = new HilClient(port, { timeoutMs: 3000 });
      await hil.hello('flip');
      await hil.loadInput(input);
      await hil.infer(1, 0);
      expect(Array.from(await hil.results())).toEqual(Array.from(createInterpreter(model).invoke(input)));
      expect(flipped).toBe(1);
      expect(hil.stats.retries).toBe(1);
      expect(hil.stats.garbled).toBe(1);
    } finally {
      await fw.stop();
    }
  }, 30_000);

  it('reports a silent board as E_TIMEOUT within its timeout', async () => {
    const hil = new HilClient(new MockTransport('/dev/ttySILENT'), { timeoutMs: 200, retries: 2 });
    const t0 = Date.now();
    await expect(hil.hello()).rejects.toMatchObject({ code: 'E_TIMEOUT', message: expect.stringMatching(/the board is silent.*ttySILENT.*3 tries/s) });
    expect(Date.now() - t0).toBeLessThan(3 * 200 + 500);
  });

  it('refuses a board that runs another model (E_HIL, hash mismatch)', async () => {
    const fw = await hostFirmwareOnPty(exe);
    try {
      const other = { ...model, tensors: model.tensors.map((t, i) => (i === model.operators[1]!.inputs[1] ? { ...t, data: t.data!.map((v, k) => (k ? v : v ^ 1)) } : t)) };
      const hil = new HilClient(fw.transport, { timeoutMs: 3000 });
      expect((await hil.hello()).model).toBe(modelHash(model));
      await hil.checkModel(modelHash(model));
      await expect(hil.checkModel(modelHash(other))).rejects.toMatchObject({ code: 'E_HIL', message: expect.stringMatching(/runs model [0-9a-f]{16}, not [0-9a-f]{16}.*flash it again/s) });
    } finally {
      await fw.stop();
    }
  }, 30_000);

  it('fails with E_SERIAL, not a hang, when the port goes away mid-transfer', async () => {
    const fw = await hostFirmwareOnPty(exe);
    let writes = 0;
    const port = { ...fw.transport, path: fw.transport.path, get closed() { return fw.transport.closed; }, write: async (d: Uint8Array) => { if (++writes === 5) fw.unplug(); return fw.transport.write(d); }, read: (t: number) => fw.transport.read(t), close: () => fw.transport.close() };
    try {
      const hil = new HilClient(port, { timeoutMs: 2000 });
      await hil.hello('gone');
      const t0 = Date.now();
      await expect(hil.loadInput(input)).rejects.toMatchObject({ code: 'E_SERIAL' });
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      await fw.stop();
    }
  }, 30_000);
});
