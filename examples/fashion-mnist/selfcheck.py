"""Randomised check that every block's reparameterize() equals the eval-mode block."""
import torch
import torch.nn as nn
from nets import NETS

torch.manual_seed(0)
torch.set_num_threads(2)
for name, fn in NETS.items():
    net = fn()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1); m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5); m.bias.data.uniform_(-0.5, 0.5)
    for b in net.resrep_blocks():
        b.compactor.weight.data.add_(0.1 * torch.randn_like(b.compactor.weight))
        b.compactor.weight.data[::3] = 0
    net.eval()
    x = torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        y, yd = net(x), net.deploy()(x)
    err = (y - yd).abs().max().item()
    print(f"{name:10s} max|unfused-deployed| = {err:.2e}  scale {y.abs().max().item():.2f}")
    assert err < 1e-4 * max(1, y.abs().max().item()), name
print("ok")
