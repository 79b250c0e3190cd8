"""Export the trained (unfused, training-time structure) nets to ONNX fixtures.

/usr/bin/python3 examples/fashion-mnist/export.py [--nets a,b] \
    [--exporter torchscript|dynamo] [--out test/fixtures] \
    [--images F.u8 --labels F.u8] [--no-ptq]

Writes, per net, into <out> (torchscript) or <out>/dynamo (dynamo):
  <name>.onnx             unfused eval-mode net, input "input" [1,1,28,28] -> "logits" [1,10]
  <name>.torch-out.bin    float32 LE PyTorch logits for the first 1000 t10k images, [1000,10]
  <name>.json             metadata (accuracies, deploy error, PTQ baseline, blocks, ...)
and once into <out>: fashion-mnist-t10k-first1000.u8 (1000x28x28 uint8) and
fashion-mnist-t10k-first1000-labels.u8 (1000 uint8).

Without the Fashion-MNIST dataset (pass --images/--labels), metadata that
needs the 10k test set or training images (float_top1_10k, torch_ptq_top1_10k)
is kept from the existing <name>.json.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from data import dataset_available, load_split, read_idx, to_input, write_idx_gz  # noqa: E402
from nets import NETS  # noqa: E402
import onnx_ops  # noqa: E402
import ptq  # noqa: E402
from train import RESREP_ZERO_THRESHOLD  # noqa: E402

SAMPLE_IMAGES = os.path.join(HERE, "data", "t10k-1000-images-idx3-ubyte.gz")
SAMPLE_LABELS = os.path.join(HERE, "data", "t10k-1000-labels-idx1-ubyte.gz")
N_FIXTURE = 1000


PAIRED_KEYS = ("heldout", "float_top1_heldout", "torch_ptq_top1_heldout", "torch_ptq_top1_heldout_fbgemm_qconfig",
               "torch_ptq_test_predictions", "torch_ptq_heldout_predictions")


def torch_version_tuple():
    v = torch.__version__.split("+")[0]
    parts = []
    for p in v.split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def logits(net, x, batch=100):
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            outs.append(net(x[i:i + batch]))
    return torch.cat(outs)


def export_torchscript(net, path):
    x = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(net, x, path, export_params=True, opset_version=13,
                      do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL,
                      input_names=["input"], output_names=["logits"])
    return 13


def export_dynamo(net, path):
    if torch_version_tuple() < (2, 5):
        raise SystemExit(f"--exporter dynamo needs torch >= 2.5 (this is {torch.__version__})")
    x = torch.zeros(1, 1, 28, 28)
    # external data left at the exporter's default (may write <path>.data)
    torch.onnx.export(net, (x,), path, dynamo=True, opset_version=18,
                      input_names=["input"], output_names=["logits"])
    return 18


def load_fixture_images(args):
    """The 1000 sample images/labels: from --images/--labels (IDX, gz or plain),
    or the first 1000 of the dataset's test split (then also written as the
    bundled sample set, examples/fashion-mnist/data/, once)."""
    if args.images:
        return read_idx(args.images), (read_idx(args.labels) if args.labels else None)
    if not dataset_available():
        if os.path.exists(SAMPLE_IMAGES):
            return read_idx(SAMPLE_IMAGES), read_idx(SAMPLE_LABELS)
        raise SystemExit("no dataset and no --images: cannot export")
    imgs, labels = load_split("t10k")
    imgs, labels = np.ascontiguousarray(imgs[:N_FIXTURE]), np.ascontiguousarray(labels[:N_FIXTURE])
    for path, arr in ((SAMPLE_IMAGES, imgs), (SAMPLE_LABELS, labels)):
        if os.path.exists(path):
            if not np.array_equal(read_idx(path), arr):
                raise SystemExit(f"{path} differs from the dataset")
        else:
            write_idx_gz(path, arr)
            print(f"wrote {path}")
    return imgs, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--exporter", choices=["torchscript", "dynamo"], default="torchscript")
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures"))
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--images", help="IDX images, gz or plain (instead of the dataset)")
    ap.add_argument("--labels", help="IDX labels, gz or plain")
    ap.add_argument("--no-ptq", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    out_base = args.out
    out_dir = out_base if args.exporter == "torchscript" else os.path.join(out_base, "dynamo")
    os.makedirs(out_dir, exist_ok=True)

    imgs1k, labels1k = load_fixture_images(args)
    x1k = to_input(imgs1k)
    y1k = torch.from_numpy(labels1k.astype(np.int64)) if labels1k is not None else None
    full = dataset_available()
    if full:
        xte_u8, yte_u8 = load_split("t10k")
        xte, yte = to_input(xte_u8), torch.from_numpy(yte_u8.astype(np.int64))
        xtr_u8, ytr_u8 = load_split("train")
        xtr, ytr = to_input(xtr_u8), torch.from_numpy(ytr_u8.astype(np.int64))
    else:
        print("dataset not available: keeping 10k-image metrics from existing json")

    for name in args.nets.split(","):
        t0 = time.time()
        net = NETS[name]()
        state = torch.load(os.path.join(args.ckpt_dir, f"{name}.pt"), map_location="cpu")
        net.load_state_dict(state)
        net.eval()
        for b in net.resrep_blocks():
            b.zero_small_rows(RESREP_ZERO_THRESHOLD)

        json_path = os.path.join(out_dir, f"{name}.json")
        old = {}
        if os.path.exists(json_path):
            with open(json_path) as f:
                old = json.load(f)
        train_info = {}
        tj = os.path.join(args.ckpt_dir, f"{name}.train.json")
        if os.path.exists(tj):
            with open(tj) as f:
                train_info = json.load(f)

        # reference logits of the unfused eval-mode net
        ref = logits(net, x1k)
        ref.numpy().astype("<f4").tofile(os.path.join(out_dir, f"{name}.torch-out.bin"))

        deployed = net.deploy()
        dep = logits(deployed, x1k)
        deploy_err = (ref - dep).abs().max().item()
        if deploy_err >= 1e-4:
            raise SystemExit(f"{name}: deployed vs unfused max abs err {deploy_err:g} >= 1e-4")

        meta = {
            "name": name,
            "families": net.families,
            "exporter": args.exporter,
            "torch_version": torch.__version__,
            "opset": None,
            "input_name": "input",
            "output_name": "logits",
            "input_shape": [1, 1, 28, 28],
            "output_shape": [1, 10],
            "preprocessing": "pixel/255",
            "epochs": train_info.get("epochs", old.get("epochs")),
            "float_top1_10k": old.get("float_top1_10k"),
            "top1_first1000": int((ref.argmax(1) == y1k).sum()) / len(y1k) if y1k is not None
            else old.get("top1_first1000"),
            "torch_deploy_max_abs_err": deploy_err,
            "torch_ptq_top1_10k": old.get("torch_ptq_top1_10k"),
            "torch_ptq_backend": old.get("torch_ptq_backend"),
            "torch_ptq_top1_10k_fbgemm_qconfig": old.get("torch_ptq_top1_10k_fbgemm_qconfig"),
            "torch_ptq_first1000_max_abs_err": old.get("torch_ptq_first1000_max_abs_err"),
            "blocks": net.describe(),
        }
        for k in ("torch_ptq_qconfig", "torch_ptq_calibration", *PAIRED_KEYS):
            if k in old:
                meta[k] = old[k]
        if full:
            meta["float_top1_10k"] = ptq.top1(net, xte, yte)
            if not args.no_ptq:
                acc, backend, qmodel = ptq.ptq_top1(deployed, xtr, xte, yte)
                meta["torch_ptq_top1_10k"] = acc
                meta["torch_ptq_backend"] = backend
                meta["torch_ptq_qconfig"] = str(torch.ao.quantization.get_default_qconfig(backend))
                meta["torch_ptq_calibration"] = "1000 train images (seeded permutation, seed 0)"
                meta["torch_ptq_first1000_max_abs_err"] = (logits(qmodel, x1k) - ref).abs().max().item()
                acc_f, _, _ = ptq.ptq_top1(deployed, xtr, xte, yte, qconfig_name="fbgemm")
                meta["torch_ptq_top1_10k_fbgemm_qconfig"] = acc_f
                meta.update(ptq.paired_record(deployed, xtr, ytr, xte, yte)[0])
        rr = net.resrep_blocks()
        if rr:
            meta["resrep"] = {
                "compactor_rows_total": sum(b.out_ch for b in rr),
                "zero_rows": sum(b.zero_rows() for b in rr),
                "per_compactor": [[b.out_ch, b.zero_rows()] for b in rr],
                "zero_threshold": RESREP_ZERO_THRESHOLD,
            }

        onnx_path = os.path.join(out_dir, f"{name}.onnx")
        if args.exporter == "torchscript":
            meta["opset"] = export_torchscript(net, onnx_path)
        else:
            meta["opset"] = export_dynamo(net, onnx_path)
        meta["onnx_files"] = [f for f in (f"{name}.onnx", f"{name}.onnx.data")
                              if os.path.exists(os.path.join(out_dir, f))]
        try:
            meta["onnx_ops"] = onnx_ops.op_counts(onnx_path)
        except Exception as e:  # the reader is minimal; never block the export
            meta["onnx_ops"] = f"unreadable: {e}"
        with open(json_path, "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        print(f"[{name}] {args.exporter} opset {meta['opset']}: float10k {meta['float_top1_10k']} "
              f"first1000 {meta['top1_first1000']} deploy_err {deploy_err:.2e} "
              f"ptq10k {meta['torch_ptq_top1_10k']} ({meta['torch_ptq_backend']}; fbgemm qconfig "
              f"{meta['torch_ptq_top1_10k_fbgemm_qconfig']}) "
              f"ops {meta['onnx_ops']} ({time.time() - t0:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
