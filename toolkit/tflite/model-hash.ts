import { createHash } from 'node:crypto';
import type { TfliteModel } from './model.ts';

/** 16 hex digits identifying a model by its tensors (names, shapes, constant bytes); the firmware reports the same. */
export function modelHash(model: TfliteModel): string {
  const tensors = model.tensors.map((t) => [t.name, t.shape, t.data ? createHash('sha256').update(t.data).digest('hex') : null]);
  return createHash('sha256').update(JSON.stringify(tensors)).digest('hex').slice(0, 16);
}
