"""Train the Fashion-MNIST re-parameterization nets.

/usr/bin/python3 examples/fashion-mnist/train.py [--nets a,b] [--epochs N]
Saves examples/fashion-mnist/checkpoints/<name>.pt (state_dict) and
<name>.train.json (epochs, accuracies, time).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import load_split, to_input  # noqa: E402
from nets import NETS  # noqa: E402

CKPT_DIR = os.path.join(HERE, "checkpoints")

# ResRep settings
RESREP_LASSO_ALL = 1e-4       # weak group lasso on every compactor row (in the loss)
RESREP_PRUNE_FRACTION = 0.4   # fraction of rows per compactor masked for removal
RESREP_PROX_STEP = 0.02       # group soft-threshold per step on masked rows
RESREP_ZERO_THRESHOLD = 1e-3  # rows with L2 norm below this are set to exactly 0


def evaluate(net, x, y, batch=1000):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (net(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


class ResRepController:
    """ResRep-style training of the compactors.

    * every compactor row carries a weak group-lasso penalty  lambda * ||row||_2;
    * from epoch 2 on, rows with the smallest norms are progressively masked
      (up to RESREP_PRUNE_FRACTION per compactor).  For masked rows the
      objective gradient is reset to zero ("gradient resetting") and only the
      group-lasso term acts, applied as a proximal (group soft-threshold) step,
      so they shrink to exactly zero;
    * at the end rows with norm < RESREP_ZERO_THRESHOLD are set to 0.
    """

    def __init__(self, net, steps_per_epoch, epochs):
        self.blocks = net.resrep_blocks()
        self.start = steps_per_epoch if epochs > 1 else 0
        # finish masking half-way through the remaining training
        self.ramp = max(1, (steps_per_epoch * epochs - self.start) // 2)

    def penalty(self):
        return RESREP_LASSO_ALL * sum(
            b.compactor.weight.reshape(b.out_ch, -1).norm(dim=1)[~b.mask].sum()
            for b in self.blocks)

    def before_step(self, step):
        if step < self.start:
            return
        frac = RESREP_PRUNE_FRACTION * min(1.0, (step - self.start + 1) / self.ramp)
        for b in self.blocks:
            want = int(math.ceil(frac * b.out_ch))
            have = int(b.mask.sum())
            if want > have:
                norms = b.row_norms().clone()
                norms[b.mask] = float("inf")
                idx = torch.argsort(norms)[:want - have]
                b.mask[idx] = True
            g = b.compactor.weight.grad
            if g is not None:
                g[b.mask] = 0.0      # gradient resetting for masked rows

    def after_step(self):
        with torch.no_grad():
            for b in self.blocks:
                if not b.mask.any():
                    continue
                w = b.compactor.weight.reshape(b.out_ch, -1)
                rows = w[b.mask]
                n = rows.norm(dim=1, keepdim=True)
                w[b.mask] = rows * torch.clamp(1 - RESREP_PROX_STEP / n.clamp_min(1e-12), min=0)

    def finish(self):
        return [(b.out_ch, b.zero_small_rows(RESREP_ZERO_THRESHOLD)) for b in self.blocks]


def train_one(name, epochs, seed, xtr, ytr, xte, yte, batch=128, lr=2e-3):
    torch.manual_seed(seed)
    np.random.seed(seed)
    net = NETS[name]()
    params_decay = [p for n, p in net.named_parameters() if p.ndim > 1 and "compactor" not in n]
    params_other = [p for n, p in net.named_parameters() if not (p.ndim > 1 and "compactor" not in n)]
    opt = torch.optim.AdamW([{"params": params_decay, "weight_decay": 1e-4},
                             {"params": params_other, "weight_decay": 0.0}], lr=lr)
    steps_per_epoch = len(xtr) // batch
    total = steps_per_epoch * epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.15)
    rr = ResRepController(net, steps_per_epoch, epochs) if net.resrep_blocks() else None
    g = torch.Generator().manual_seed(seed)
    t0 = time.time()
    history = []
    step = 0
    for ep in range(epochs):
        net.train()
        perm = torch.randperm(len(xtr), generator=g)
        run_loss = 0.0
        for i in range(steps_per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            out = net(xtr[idx])
            loss = F.cross_entropy(out, ytr[idx])
            if rr is not None:
                loss = loss + rr.penalty()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if rr is not None:
                rr.before_step(step)
            opt.step()
            if rr is not None:
                rr.after_step()
            sched.step()
            run_loss += loss.item()
            step += 1
        acc = evaluate(net, xte, yte)
        history.append(acc)
        print(f"[{name}] epoch {ep + 1}/{epochs} loss {run_loss / steps_per_epoch:.4f} "
              f"test top1 {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
    info = {"name": name, "epochs": epochs, "seed": seed, "test_top1_per_epoch": history}
    if rr is not None:
        rows = rr.finish()
        acc = evaluate(net, xte, yte)
        info["resrep_rows"] = rows
        info["test_top1_after_zeroing"] = acc
        print(f"[{name}] compactor (rows, zero rows): {rows}; test top1 after zeroing {acc:.4f}")
    info["train_seconds"] = round(time.time() - t0, 1)
    net.eval()
    os.makedirs(CKPT_DIR, exist_ok=True)
    torch.save(net.state_dict(), os.path.join(CKPT_DIR, f"{name}.pt"))
    with open(os.path.join(CKPT_DIR, f"{name}.train.json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    xtr_u8, ytr_u8 = load_split("train")
    xte_u8, yte_u8 = load_split("t10k")
    xtr, ytr = to_input(xtr_u8), torch.from_numpy(ytr_u8.astype(np.int64))
    xte, yte = to_input(xte_u8), torch.from_numpy(yte_u8.astype(np.int64))
    t0 = time.time()
    for name in args.nets.split(","):
        train_one(name, args.epochs, args.seed, xtr, ytr, xte, yte)
    print(f"total training time {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
