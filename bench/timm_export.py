"""Exports a full-size timm model (random init, eval mode) for bench/timm.ts: NAME SIZE OUT.onnx [--deploy].

With --deploy, the model after timm's own reparameterize_model(): the bench compares conv counts.
Needs timm's source on PYTHONPATH and Debian's torch (/usr/bin/python3). The weights are timm's own
init under a fixed seed; the bench measures time and structure, not accuracy.
"""
import sys

import timm
import torch
from timm.utils.model import reparameterize_model

name, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(0)
model = timm.create_model(name, num_classes=10).eval()
if "--deploy" in sys.argv[4:]:
    model = reparameterize_model(model)
torch.onnx.export(model, torch.randn(1, 3, size, size), out, opset_version=13, input_names=["input"], output_names=["logits"])
