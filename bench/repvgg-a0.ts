/** A RepVGG-A0-sized ImageNet net (widths 48-48-96-192-1280, depths 1-2-4-14-1), random weights and BN statistics. */
import { NetBuilder } from '../test/helpers/reparam-nets.ts';
import type { Graph } from '../toolkit/graph/index.ts';

export function repvggA0(seed = 1, resolution = 224): Graph {
  const nb = new NetBuilder(seed);
  let x = nb.b.input('input', [1, 3, resolution, resolution]);
  let c = 3;
  const stages: [number, number][] = [[48, 1], [48, 2], [96, 4], [192, 14], [1280, 1]];
  for (const [width, depth] of stages)
    for (let d = 0; d < depth; d++) {
      x = nb.repvgg(x, c, width, d === 0 ? 2 : 1);
      c = width;
    }
  return nb.build(nb.head(x, c, 1000));
}
