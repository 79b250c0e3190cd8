"""Adds PyTorch's per-image PTQ predictions and held-out top-1 (ptq.paired_record) to the
existing fixture metadata in test/fixtures/<name>.json, without re-exporting the ONNX files.
Refuses to write when the re-made PyTorch PTQ model does not reproduce the recorded
torch_ptq_top1_10k (then re-run export.py).

    /usr/bin/python3 examples/fashion-mnist/ptq_record.py [--nets repvgg,resrep]
"""
import argparse
import json
import os

import numpy as np
import torch

from data import load_split, to_input
from nets import NETS
from train import RESREP_ZERO_THRESHOLD
import ptq

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "test", "fixtures")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default=",".join(NETS))
    args = ap.parse_args()
    torch.set_num_threads(2)
    xtr_u8, ytr_u8 = load_split("train")
    xte_u8, yte_u8 = load_split("t10k")
    xtr, ytr = to_input(xtr_u8), torch.from_numpy(ytr_u8.astype(np.int64))
    xte, yte = to_input(xte_u8), torch.from_numpy(yte_u8.astype(np.int64))
    for name in args.nets.split(","):
        net = NETS[name]()
        net.load_state_dict(torch.load(os.path.join(HERE, "checkpoints", f"{name}.pt"), map_location="cpu"))
        net.eval()
        for b in net.resrep_blocks():
            b.zero_small_rows(RESREP_ZERO_THRESHOLD)
        path = os.path.join(FIXTURES, f"{name}.json")
        with open(path) as f:
            meta = json.load(f)
        record, test_top1 = ptq.paired_record(net.deploy(), xtr, ytr, xte, yte)
        if test_top1 != meta["torch_ptq_top1_10k"]:
            raise SystemExit(f"{name}: PyTorch PTQ now scores {test_top1} on the test images, "
                             f"the fixture records {meta['torch_ptq_top1_10k']}: re-run export.py")
        meta.update(record)
        with open(path + ".tmp", "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print(f"[{name}] held-out float {record['float_top1_heldout']} PyTorch PTQ "
              f"{record['torch_ptq_top1_heldout']} (fbgemm qconfig {record['torch_ptq_top1_heldout_fbgemm_qconfig']})",
              flush=True)


if __name__ == "__main__":
    main()
