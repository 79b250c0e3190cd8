/**
 * reparo.config.json: a deploy written down once and repeated. Paths are relative to the config file.
 * Command-line options override it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ReparoError } from '../errors.ts';

export const DeployConfigSchema = z
  .object({
    model: z.string(),
    board: z.string(),
    calib: z.string().optional(),
    data: z.string().optional(),
    labels: z.string().optional(),
    runtime: z.enum(['native', 'tflm']).optional(),
    out: z.string().optional(),
    runs: z.number().int().min(1).max(1000).optional(),
    warmup: z.number().int().min(0).max(100).optional(),
    validateSamples: z.number().int().min(1).optional(),
    evalSamples: z.number().int().min(1).optional(),
    mean: z.array(z.number()).optional(),
    std: z.array(z.number()).optional(),
  })
  .strict();

export type DeployConfig = z.infer<typeof DeployConfigSchema>;

const PATH_KEYS = ['model', 'calib', 'data', 'labels', 'out'] as const;

export function readDeployConfig(file: string): DeployConfig {
  if (!existsSync(file)) throw new ReparoError('E_IO', 'no such config file', { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ReparoError('E_USAGE', `not valid JSON (${(e as Error).message})`, { file });
  }
  const r = DeployConfigSchema.safeParse(json);
  if (!r.success)
    throw new ReparoError('E_USAGE', r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; '), { file, hint: 'keys: model, board, calib, data, labels, runtime, out, runs, warmup, validateSamples, evalSamples, mean, std' });
  const cfg = r.data;
  const base = dirname(resolve(file));
  for (const k of PATH_KEYS) if (cfg[k] && !isAbsolute(cfg[k]!)) cfg[k] = resolve(base, cfg[k]!);
  return cfg;
}
