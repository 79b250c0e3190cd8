"""Runs a .tflite model in Arm NN (TfLite parser, CpuRef backend): an independent int8 engine.

usage: armnn_run.py MODEL.tflite INPUT.bin [INPUT.bin ...]
Each INPUT.bin holds the raw bytes of the (single) input tensor; prints one line per input with the
output tensor's raw bytes as hex. One IRuntime per process (Arm NN 20.08 does not like several).
"""
import sys
import numpy as np
import pyarmnn as ann

model, inputs = sys.argv[1], sys.argv[2:]
parser = ann.ITfLiteParser()
net = parser.CreateNetworkFromBinaryFile(model)
in_name = parser.GetSubgraphInputTensorNames(0)[0]
out_name = parser.GetSubgraphOutputTensorNames(0)[0]
in_info = parser.GetNetworkInputBindingInfo(0, in_name)
out_info = parser.GetNetworkOutputBindingInfo(0, out_name)
runtime = ann.IRuntime(ann.CreationOptions())
opt, _ = ann.Optimize(net, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(), ann.OptimizerOptions())
net_id, _ = runtime.LoadNetwork(opt)
dtype = np.int8 if in_info[1].GetDataType() == ann.DataType_QAsymmS8 else np.uint8
for path in inputs:
    x = np.fromfile(path, dtype=dtype)
    in_tensors = ann.make_input_tensors([in_info], [x])
    out_tensors = ann.make_output_tensors([out_info])
    runtime.EnqueueWorkload(net_id, in_tensors, out_tensors)
    y = ann.workload_tensors_to_ndarray(out_tensors)[0]
    print(np.ascontiguousarray(y).view(np.uint8).tobytes().hex())
