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
