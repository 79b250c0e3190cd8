/**
 * Training-time re-param graphs built by hand with random weights and BN statistics, in the shapes
 * PyTorch's TorchScript exporter writes (Conv without bias → BatchNormalization, Add, Relu).
 */
import { GraphBuilder, floatTensor, int64Tensor, rng, normal, ints, int, type Graph } from '../../toolkit/graph/index.ts';

export class NetBuilder {
  readonly b: GraphBuilder;
  private r: () => number;
  private k = 0;
  constructor(seed = 1, opset = 13) {
    this.b = new GraphBuilder('net', opset);
    this.r = rng(seed);
  }
  private n = () => normal(this.r);
  private name = (p: string) => `${p}${this.k++}`;

  randn(dims: number[], scale = 1): ReturnType<typeof floatTensor> {
    const t = floatTensor(dims);
    for (let i = 0; i < t.data.length; i++) (t.data as Float32Array)[i] = this.n() * scale;
    return t;
  }

  conv(x: string, cin: number, cout: number, kh: number, kw: number, o: { stride?: number; pads?: number[]; groups?: number; bias?: boolean } = {}): string {
    const g = o.groups ?? 1, name = this.name('conv');
    const fan = (cin / g) * kh * kw;
    const w = this.b.init(`${name}.weight`, this.randn([cout, cin / g, kh, kw], Math.sqrt(2 / fan)));
    const inputs = [x, w];
    if (o.bias) inputs.push(this.b.init(`${name}.bias`, this.randn([cout], 0.1)));
    const s = o.stride ?? 1;
    return this.b.node('Conv', inputs, {
      kernel_shape: ints([kh, kw]), strides: ints([s, s]), pads: ints(o.pads ?? [0, 0, 0, 0]), group: int(g), dilations: ints([1, 1]),
    }, name);
  }

  bn(x: string, c: number): string {
    const name = this.name('bn');
    const gamma = floatTensor([c], Array.from({ length: c }, () => 0.5 + this.r()));
    const beta = this.randn([c], 0.2);
    const mean = this.randn([c], 0.3);
    const v = floatTensor([c], Array.from({ length: c }, () => 0.2 + this.r()));
    const ins = [gamma, beta, mean, v].map((t, i) => this.b.init(`${name}.p${i}`, t));
    return this.b.node('BatchNormalization', [x, ...ins], { epsilon: { kind: 'float', value: 1e-5 } }, name);
  }

  convBn(x: string, cin: number, cout: number, k: number | [number, number], o: { stride?: number; pad?: number | number[]; groups?: number } = {}): string {
    const [kh, kw] = typeof k === 'number' ? [k, k] : k;
    const p = o.pad ?? [Math.floor(kh / 2), Math.floor(kw / 2)];
    const pads = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0]!, p[1]!, p[0]!, p[1]!] : p;
    return this.bn(this.conv(x, cin, cout, kh, kw, { ...o, pads }), cout);
  }

  add(a: string, b: string): string {
    return this.b.node('Add', [a, b]);
  }
  relu(x: string): string {
    return this.b.node('Relu', [x]);
  }

  /** RepVGG: 3×3-BN + 1×1-BN (+ BN identity when cin == cout and stride 1), then ReLU. */
  repvgg(x: string, cin: number, cout: number, stride = 1, groups = 1): string {
    let y = this.add(this.convBn(x, cin, cout, 3, { stride, groups }), this.convBn(x, cin, cout, 1, { stride, groups, pad: 0 }));
    if (cin === cout && stride === 1) y = this.add(y, this.bn(x, cin));
    return this.relu(y);
  }

  /** ACNet: K×K-BN + 1×K-BN + K×1-BN, then ReLU. */
  acnet(x: string, cin: number, cout: number, k = 3, stride = 1): string {
    const p = Math.floor(k / 2);
    const y = this.add(this.add(this.convBn(x, cin, cout, k, { stride }), this.convBn(x, cin, cout, [1, k], { stride, pad: [0, p] })), this.convBn(x, cin, cout, [k, 1], { stride, pad: [p, 0] }));
    return this.relu(y);
  }

  /** DBB without the pad-with-BN-bias trick (k×k, 1×1, 1×1→k×k with zero-bias 1×1, avg→BN). */
  dbbSimple(x: string, c: number, k = 3): string {
    const p = Math.floor(k / 2);
    const kxk = this.convBn(x, c, c, k);
    const one = this.convBn(x, c, c, 1, { pad: 0 });
    const seq = this.convBn(this.conv(x, c, c, 1, 1), c, c, k);
    const avg = this.bn(this.b.node('AveragePool', [x], { kernel_shape: ints([k, k]), strides: ints([1, 1]), pads: ints([p, p, p, p]), count_include_pad: int(1) }), c);
    return this.relu(this.add(this.add(this.add(kxk, one), seq), avg));
  }

  head(x: string, c: number, classes: number): string {
    const pooled = this.b.node('GlobalAveragePool', [x]);
    const flat = this.b.node('Flatten', [pooled], { axis: int(1) });
    const w = this.b.init('fc.weight', this.randn([classes, c], 0.3));
    const bias = this.b.init('fc.bias', this.randn([classes], 0.1));
    return this.b.node('Gemm', [flat, w, bias], { transB: int(1) }, 'logits');
  }

  build(out: string, dims: number[] = []): Graph {
    this.b.output(out, dims);
    return this.b.build();
  }

  shape(values: number[]): string {
    return this.b.init(this.name('shape'), int64Tensor([values.length], values));
  }
}
