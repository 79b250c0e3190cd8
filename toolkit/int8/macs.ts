/** Multiply-accumulate counts of a model's ops (convolutions and fully connected layers). */
import type { Operator, TfliteModel } from '../tflite/model.ts';

export function opMacs(model: TfliteModel, op: Operator): number {
  const shape = (i: number) => model.tensors[i].shape;
  const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
  switch (op.op) {
    case 'CONV_2D': {
      const [, kh, kw, cin] = shape(op.inputs[1]);
      return count(shape(op.outputs[0])) * kh * kw * cin;
    }
    case 'DEPTHWISE_CONV_2D': {
      const [, kh, kw] = shape(op.inputs[1]);
      return count(shape(op.outputs[0])) * kh * kw;
    }
    case 'FULLY_CONNECTED':
      return count(shape(op.outputs[0])) * shape(op.inputs[1])[1];
    default:
      return 0;
  }
}

export function modelMacs(model: TfliteModel): number {
  return model.operators.reduce((n, op) => n + opMacs(model, op), 0);
}
