"""Exports full-size timm models (random init, eval mode) for bench/timm.ts: NAME SIZE OUT.onnx.

Needs timm's source on PYTHONPATH and Debian's torch (/usr/bin/python3). The weights are timm's own
init under a fixed seed; the bench measures time, not accuracy, so no trained weights are needed.
"""
import sys

import timm
import torch

name, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(0)
model = timm.create_model(name, num_classes=10).eval()
torch.onnx.export(model, torch.randn(1, 3, size, size), out, opset_version=13, input_names=["input"], output_names=["logits"])
