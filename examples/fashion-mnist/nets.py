"""Small Fashion-MNIST nets (1x28x28 -> 10) built from the re-parameterization blocks.

All nets: stride-2 ConvBNReLU stem (28 -> 14), blocks, GAP, flatten, Linear(32, 10).
"""
import copy

import torch
import torch.nn as nn

from blocks import (ConvBNReLU, RepVGGBlock, ACBlock, DiverseBranchBlock,
                    ResRepBlock, REPARAM_TYPES)


class Net(nn.Module):
    """stem + blocks + global average pool + flatten + Linear."""

    def __init__(self, stem, blocks, width, families):
        super().__init__()
        self.stem = stem
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(width, 10)
        self.families = families

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(torch.flatten(self.pool(x), 1))

    def deploy(self):
        """Single-path equivalent: every block replaced by its fused form."""
        net = copy.deepcopy(self).eval()
        net.stem = self.stem.reparameterize()
        net.blocks = nn.Sequential(*[b.reparameterize() for b in self.blocks])
        return net.eval()

    def describe(self):
        return [self.stem.describe()] + [b.describe() for b in self.blocks]

    def resrep_blocks(self):
        return [m for m in self.modules() if isinstance(m, ResRepBlock)]


def repvgg():
    return Net(ConvBNReLU(1, 16, 3, 2, 1), [
        RepVGGBlock(16, 16, 1),            # identity branch
        RepVGGBlock(16, 32, 2),            # 14 -> 7
        RepVGGBlock(32, 32, 1, groups=2),  # grouped + identity
        RepVGGBlock(32, 32, 2),            # 7 -> 4, in == out but no identity
        RepVGGBlock(32, 32, 1, groups=4),  # grouped + identity
        RepVGGBlock(32, 32, 1),
    ], 32, ["repvgg"])


def acnet():
    return Net(ConvBNReLU(1, 16, 3, 2, 1), [
        ACBlock(16, 16, 3, 1, 1),
        ACBlock(16, 32, 3, 2, 1),          # 14 -> 7
        ACBlock(32, 32, 3, 1, 0),          # crop variant (crop 1, pad 0), 7 -> 5
        ACBlock(32, 32, 5, 1, 1),          # K=5 crop variant (crop 1, pad 1), 5 -> 3
        ACBlock(32, 32, 3, 2, 1),          # 3 -> 2
    ], 32, ["acnet"])


def dbb():
    return Net(ConvBNReLU(1, 16, 3, 2, 1), [
        DiverseBranchBlock(16, 16, 3, 1, 1),
        DiverseBranchBlock(16, 32, 3, 2, 1),            # 14 -> 7
        DiverseBranchBlock(32, 32, 3, 1, 1, groups=2),  # grouped
        DiverseBranchBlock(32, 32, 3, 2, 1),            # 7 -> 4
        DiverseBranchBlock(32, 32, 3, 1, 1, groups=32), # depthwise
        DiverseBranchBlock(32, 32, 3, 1, 1),
    ], 32, ["dbb"])


def resrep():
    return Net(ConvBNReLU(1, 16, 3, 2, 1), [
        ResRepBlock(16, 16, 3, 1, 1),
        ResRepBlock(16, 32, 3, 2, 1),      # 14 -> 7
        ResRepBlock(32, 32, 3, 1, 1),
        ResRepBlock(32, 32, 3, 2, 1),      # 7 -> 4
        ResRepBlock(32, 32, 3, 1, 1),
    ], 32, ["resrep"])


def repvgg_se():
    return Net(ConvBNReLU(1, 16, 3, 2, 1), [
        RepVGGBlock(16, 16, 1),
        RepVGGBlock(16, 32, 2, use_se=True),
        RepVGGBlock(32, 32, 1, use_se=True),
        RepVGGBlock(32, 32, 2),
        RepVGGBlock(32, 32, 1, groups=2, use_se=True),
    ], 32, ["repvgg", "se"])


NETS = {"repvgg": repvgg, "acnet": acnet, "dbb": dbb, "resrep": resrep,
        "repvgg_se": repvgg_se}
