/**
 * The npm package as a user gets it: `npm pack`, then in an empty folder an install of that tarball
 * (offline: from the local file and the npm cache `npm ci` filled), `npx reparo --help`, a fuse from
 * the installed CLI, and the public API imported by name from a plain .mjs file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(root, 'test/fixtures/repvgg.onnx');
const work = mkdtempSync(join(tmpdir(), 'reparo-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
const run = (cmd: string, args: string[], cwd: string, timeout = 300_000) => {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
};

describe('the npm tarball', () => {
  it('installs offline into an empty folder; its CLI and its API work there', () => {
    execFileSync('npm', ['pack', '--pack-destination', work], { cwd: root, env, stdio: 'pipe' });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const listing = execFileSync('tar', ['-tzf', join(work, tarball)], { encoding: 'utf8' }).split('\n');
    // compiled code, types and the board and firmware files; no sources, tests or maps
    expect(listing).toContain('package/dist/toolkit/index.js');
    expect(listing).toContain('package/dist/toolkit/index.d.ts');
    expect(listing.some((f) => f.startsWith('package/firmware-templates/cortex-m/'))).toBe(true);
    expect(listing.some((f) => f.startsWith('package/boards/'))).toBe(true);
    expect(listing.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(listing.filter((f) => f.startsWith('package/test/') || f.endsWith('.map'))).toEqual([]);

    // offline: npm resolves nothing from the registry, so the app's lockfile pins reparo's runtime
    // dependencies as reparo's own lockfile does (their tarballs are in the cache `npm ci` filled)
    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    const spec = `file:../${tarball}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true, dependencies: { reparo: spec } }));
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const integrity = `sha512-${createHash('sha512').update(readFileSync(join(work, tarball))).digest('base64')}`;
    const deps = Object.fromEntries(Object.entries(lock.packages as Record<string, { dev?: boolean }>).filter(([k, v]) => k.startsWith('node_modules/') && !v.dev));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({
      name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies: { reparo: spec } },
        'node_modules/reparo': { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
        ...deps,
      },
    }));
    const install = run('npm', ['ci', '--offline'], app, 600_000);
    expect(install.code, install.out).toBe(0);

    const help = run('npx', ['--no-install', 'reparo', '--help'], app);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toMatch(/Usage: reparo/);
    const fused = run('npx', ['--no-install', 'reparo', 'fuse', FIXTURE, '-o', join(app, 'fused.onnx')], app);
    expect(fused.code, fused.out).toBe(0);
    expect(fused.out).toMatch(/EQUIVALENT/);

    writeFileSync(join(app, 'use.mjs'), `
import { readOnnx, fuse, loadBoards, readTflite, createInterpreter, ReparoError } from 'reparo';
const g = readOnnx(${JSON.stringify(FIXTURE)});
const r = await fuse(g);
const convs = r.graph.nodes.filter((n) => n.op === 'Conv').length;
let refused = false;
try { readTflite(new Uint8Array(8)); } catch (e) { refused = e instanceof ReparoError; }
console.log(JSON.stringify({ convs, boards: loadBoards().length, refused, interpreter: typeof createInterpreter }));
`);
    const api = run(process.execPath, ['use.mjs'], app);
    expect(api.code, api.out).toBe(0);
    const j = JSON.parse(api.out.trim().split('\n')[0]!);
    expect(j.convs).toBeGreaterThan(0);
    expect(j.boards).toBeGreaterThan(3);
    expect(j).toMatchObject({ refused: true, interpreter: 'function' });
  }, 900_000);
});
