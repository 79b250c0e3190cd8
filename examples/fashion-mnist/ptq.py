"""PyTorch eager-mode post-training static quantization of the *deployed*
(re-parameterized, single-path) net: the int8 baseline.

* torch.ao.quantization, QuantStub/DeQuantStub around the net,
* conv+relu fused (torch.ao.quantization.fuse_modules), SE's multiply through
  FloatFunctional,
* qconfig get_default_qconfig(backend): HistogramObserver activations,
  per-channel symmetric int8 weights (PerChannelMinMaxObserver),
* calibration on 1000 training images (the first 1000 of a seeded permutation),
* top-1 evaluated on the 10k test images.

Engine: 'fbgemm' when this torch build has it.  Builds without FBGEMM (e.g.
the Debian torch 1.13 here: engines qnnpack/onednn) fall back to 'onednn',
the other x86 engine.  export.py records two numbers:
  torch_ptq_top1_10k                 engine's default qconfig; for onednn that
                                     is fbgemm's qconfig with full 8-bit
                                     activations (reduce_range=False)
  torch_ptq_top1_10k_fbgemm_qconfig  get_default_qconfig('fbgemm') exactly
                                     (per-channel weights, reduce_range=True,
                                     i.e. 7-bit activations) on the same engine
With a real fbgemm engine both equal get_default_qconfig('fbgemm').
"""
import copy

import torch
import torch.nn as nn
import torch.ao.quantization as tq

from blocks import FusedBlock


class QuantWrapper(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.quant = tq.QuantStub()
        self.net = net
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.net(self.quant(x)))


def pick_backend(preferred="fbgemm"):
    engines = torch.backends.quantized.supported_engines
    for b in (preferred, "fbgemm", "x86", "onednn"):
        if b in engines:
            return b
    raise RuntimeError(f"no x86 quantized engine in {engines}")


def quantize_deployed(deployed, calib_x, backend=None, qconfig_name=None):
    """Returns (quantized model, engine name).  `qconfig_name` picks
    get_default_qconfig(qconfig_name) (default: the engine's own)."""
    backend = backend or pick_backend()
    torch.backends.quantized.engine = backend
    model = QuantWrapper(copy.deepcopy(deployed).eval()).eval()
    fuse = []
    for name, m in model.named_modules():
        if isinstance(m, FusedBlock):
            fuse += [[f"{name}.{a}" for a in group] for group in m.fuse_list()]
    if fuse:
        tq.fuse_modules(model, fuse, inplace=True)
    model.qconfig = tq.get_default_qconfig(qconfig_name or backend)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for i in range(0, len(calib_x), 100):
            model(calib_x[i:i + 100])
    tq.convert(model, inplace=True)
    return model, backend


def top1(model, x, y, batch=500):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def calibration_images(xtrain, n=1000, seed=0):
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(xtrain), generator=g)[:n]
    return xtrain[idx]


def ptq_top1(deployed, xtrain, xtest, ytest, backend=None, qconfig_name=None):
    q, backend = quantize_deployed(deployed, calibration_images(xtrain), backend, qconfig_name)
    return top1(q, xtest, ytest), backend, q


HELD_OUT = slice(50000, 60000)  # training images reparo never calibrates on (it takes the first ones)


def predictions(model, x, batch=500):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])


def paired_record(deployed, xtr, ytr, xte, yte):
    """Per-image PyTorch PTQ predictions (the engine's default qconfig, the model behind
    torch_ptq_top1_10k) on the 10k test images and on the held-out training images, and top-1
    there for float and both qconfigs: what reparo's int8 is compared with image by image.
    Predictions are stored as one digit per image."""
    xh, yh = xtr[HELD_OUT], ytr[HELD_OUT]
    q, _ = quantize_deployed(deployed, calibration_images(xtr))
    qf, _ = quantize_deployed(deployed, calibration_images(xtr), qconfig_name="fbgemm")
    pt, ph = predictions(q, xte), predictions(q, xh)
    digits = lambda p: "".join(str(int(v)) for v in p)  # noqa: E731
    return {
        "heldout": "training images 50000-59999",
        "float_top1_heldout": top1(deployed, xh, yh),
        "torch_ptq_top1_heldout": (ph == yh).sum().item() / len(yh),
        "torch_ptq_top1_heldout_fbgemm_qconfig": top1(qf, xh, yh),
        "torch_ptq_test_predictions": digits(pt),
        "torch_ptq_heldout_predictions": digits(ph),
    }, (pt == yte).sum().item() / len(yte)
