// Runs each fixture ONNX with onnxruntime-node on the 1000 fixture images and
// compares with <name>.torch-out.bin.
//   node examples/fashion-mnist/verify_onnx.mjs [fixtureDir] [name ...]
import fs from "node:fs";
import path from "node:path";
import ort from "onnxruntime-node";

const dir = process.argv[2] ?? "test/fixtures";
const base = fs.existsSync(path.join(dir, "fashion-mnist-t10k-first1000.u8")) ? dir : path.dirname(dir);
let names = process.argv.slice(3);
if (names.length === 0) names = fs.readdirSync(dir).filter((f) => f.endsWith(".onnx")).map((f) => f.slice(0, -5));
const imgs = fs.readFileSync(path.join(base, "fashion-mnist-t10k-first1000.u8"));
const labels = fs.readFileSync(path.join(base, "fashion-mnist-t10k-first1000-labels.u8"));
let bad = 0;
for (const name of names) {
  const sess = await ort.InferenceSession.create(path.join(dir, `${name}.onnx`), { graphOptimizationLevel: "disabled" });
  const buf = fs.readFileSync(path.join(dir, `${name}.torch-out.bin`));
  const ref = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  let maxErr = 0, agree = 0, correct = 0;
  for (let n = 0; n < 1000; n++) {
    const x = new Float32Array(784);
    for (let i = 0; i < 784; i++) x[i] = imgs[n * 784 + i] / 255;
    const out = await sess.run({ input: new ort.Tensor("float32", x, [1, 1, 28, 28]) });
    const y = out.logits.data;
    let am = 0, amRef = 0;
    for (let c = 0; c < 10; c++) {
      maxErr = Math.max(maxErr, Math.abs(y[c] - ref[n * 10 + c]));
      if (y[c] > y[am]) am = c;
      if (ref[n * 10 + c] > ref[n * 10 + amRef]) amRef = c;
    }
    if (am === amRef) agree++;
    if (am === labels[n]) correct++;
  }
  const ok = maxErr < 1e-4 && agree === 1000;
  if (!ok) bad++;
  console.log(`${name}: inputs ${sess.inputNames} outputs ${sess.outputNames} max|ort-torch| ${maxErr.toExponential(2)} argmax agree ${agree}/1000 top1 ${correct / 1000} ${ok ? "OK" : "MISMATCH"}`);
}
process.exit(bad ? 1 : 0);
