"""Training-time structural re-parameterization blocks and their fused forms.

Written from the papers' descriptions:
  RepVGG  (Ding et al. 2021)   3x3-BN + 1x1-BN (+ identity-BN), summed, ReLU
  ACNet   (Ding et al. 2019)   KxK-BN + 1xK-BN + Kx1-BN, summed, ReLU (with crop)
  DBB     (Ding et al. 2021)   KxK, 1x1, 1x1->AVG, 1x1->KxK branches, summed, ReLU
  ResRep  (Ding et al. 2021)   KxK-BN followed by a 1x1 "compactor" trained with
                               group lasso, pruned rows set to exactly zero
  SE      (Hu et al. 2018)     squeeze-and-excitation gate

Every block has `reparameterize()` (alias `deploy()`) returning an eval-mode
single-path module (`FusedBlock`: one Conv2d with bias [+ SE] + ReLU) that is
algebraically equal to the block in eval mode.
"""
from collections import OrderedDict
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- helpers

def conv_bn(in_ch, out_ch, kernel_size, stride=1, padding=0, groups=1):
    """Conv2d(bias=False) followed by BatchNorm2d."""
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding,
                           groups=groups, bias=False)),
        ("bn", nn.BatchNorm2d(out_ch)),
    ]))


def bn_scale_shift(bn):
    """Eval-mode BN as y = x * scale + shift (per channel)."""
    std = torch.sqrt(bn.running_var + bn.eps)
    scale = bn.weight / std
    shift = bn.bias - bn.running_mean * scale
    return scale.detach(), shift.detach()


def fuse_conv_bn(conv, bn):
    """Return (kernel, bias) of conv(bias=False) followed by eval-mode BN."""
    scale, shift = bn_scale_shift(bn)
    k = conv.weight.detach() * scale.reshape(-1, 1, 1, 1)
    b = shift.clone()
    if conv.bias is not None:
        b = b + conv.bias.detach() * scale
    return k, b


def pad_kernel_to(k, kh, kw):
    """Zero-pad a (O, I, h, w) kernel symmetrically (centred) to (kh, kw)."""
    h, w = k.shape[2], k.shape[3]
    ph, pw = (kh - h) // 2, (kw - w) // 2
    assert ph >= 0 and pw >= 0 and (kh - h) % 2 == 0 and (kw - w) % 2 == 0
    return F.pad(k, [pw, kw - w - pw, ph, kh - h - ph])


def identity_kernel(channels, groups, k, dtype=torch.float32):
    """KxK grouped conv kernel that is the identity (in == out == channels)."""
    in_per_group = channels // groups
    ker = torch.zeros(channels, in_per_group, k, k, dtype=dtype)
    for c in range(channels):
        ker[c, c % in_per_group, k // 2, k // 2] = 1.0
    return ker


def avg_kernel(channels, groups, k, dtype=torch.float32):
    """Grouped conv kernel equal to a per-channel KxK average pooling."""
    in_per_group = channels // groups
    ker = torch.zeros(channels, in_per_group, k, k, dtype=dtype)
    for c in range(channels):
        ker[c, c % in_per_group, :, :] = 1.0 / (k * k)
    return ker


def merge_1x1_kxk(k1, b1, k2, b2, groups):
    """Fuse conv1x1(k1,b1,groups) followed by convKxK(k2,b2,groups, padding 0).

    k1: (M, I/g, 1, 1), k2: (O, M/g, K, K).  Valid when the input of the KxK
    was padded with the value the 1x1 branch produces for a zero input (b1),
    i.e. the sequence equals one KxK conv on the zero-padded input.
    """
    O = k2.shape[0]
    M = k1.shape[0]
    Ig = k1.shape[1]
    Mg, Og = M // groups, O // groups
    ker = []
    for g in range(groups):
        a = k1[g * Mg:(g + 1) * Mg, :, 0, 0]              # (Mg, Ig)
        c = k2[g * Og:(g + 1) * Og]                        # (Og, Mg, K, K)
        ker.append(torch.einsum("omhw,mi->oihw", c, a))    # (Og, Ig, K, K)
    ker = torch.cat(ker, 0)
    assert ker.shape[1] == Ig
    # bias: b2 + sum_{m,h,w} k2[o,m,h,w] * b1[group(o)*Mg + m]
    b1g = b1.reshape(groups, Mg)
    bias = b2.clone()
    for g in range(groups):
        c = k2[g * Og:(g + 1) * Og]
        bias[g * Og:(g + 1) * Og] += torch.einsum("omhw,m->o", c, b1g[g])
    return ker, bias


# ---------------------------------------------------------------- SE

class SEBlock(nn.Module):
    """global-avg-pool -> 1x1 conv -> ReLU -> 1x1 conv -> sigmoid -> multiply."""

    def __init__(self, channels, internal):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.down = nn.Conv2d(channels, internal, 1, bias=True)
        self.relu = nn.ReLU()
        self.up = nn.Conv2d(internal, channels, 1, bias=True)
        self.gate = nn.Sigmoid()
        # FloatFunctional: plain torch.mul in float mode, quantizable by PTQ.
        self.mul = nn.quantized.FloatFunctional()

    def forward(self, x):
        s = self.gate(self.up(self.relu(self.down(self.pool(x)))))
        return self.mul.mul(x, s)


# ---------------------------------------------------------------- fused form

class FusedBlock(nn.Module):
    """Deploy-time single path: Conv2d(bias) [-> SE] -> ReLU."""

    def __init__(self, conv, se=None, relu=True):
        super().__init__()
        self.conv = conv
        self.se = se
        self.relu = nn.ReLU() if relu else nn.Identity()

    def forward(self, x):
        x = self.conv(x)
        if self.se is not None:
            x = self.se(x)
        return self.relu(x)

    def fuse_list(self):
        """Module names for torch.ao.quantization.fuse_modules."""
        if self.se is None and isinstance(self.relu, nn.ReLU):
            return [["conv", "relu"]]
        out = []
        if self.se is not None:
            out.append(["se.down", "se.relu"])
        return out


def make_conv(kernel, bias, stride, padding, groups):
    out_ch, in_per_group, kh, kw = kernel.shape
    conv = nn.Conv2d(in_per_group * groups, out_ch, (kh, kw), stride, padding,
                     groups=groups, bias=True)
    conv.weight.data.copy_(kernel)
    conv.bias.data.copy_(bias)
    return conv


class ReparamMixin:
    def deploy(self):
        return self.reparameterize()


class ConvBNReLU(nn.Module, ReparamMixin):
    """Plain conv-BN-ReLU (used as stem)."""

    def __init__(self, in_ch, out_ch, k=3, stride=1, padding=1, groups=1):
        super().__init__()
        self.stride, self.padding, self.groups = stride, padding, groups
        self.cb = conv_bn(in_ch, out_ch, k, stride, padding, groups)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.cb(x))

    def reparameterize(self):
        k, b = fuse_conv_bn(self.cb.conv, self.cb.bn)
        return FusedBlock(make_conv(k, b, self.stride, self.padding, self.groups)).eval()

    def describe(self):
        c = self.cb.conv
        return f"ConvBNReLU {c.in_channels}->{c.out_channels} k{c.kernel_size[0]} s{self.stride}"


# ---------------------------------------------------------------- RepVGG

class RepVGGBlock(nn.Module, ReparamMixin):
    """3x3-BN + 1x1-BN (+ identity-BN when in == out and stride == 1) -> [SE] -> ReLU."""

    def __init__(self, in_ch, out_ch, stride=1, groups=1, use_se=False):
        super().__init__()
        self.in_ch, self.out_ch, self.stride, self.groups = in_ch, out_ch, stride, groups
        self.dense = conv_bn(in_ch, out_ch, 3, stride, 1, groups)
        self.one = conv_bn(in_ch, out_ch, 1, stride, 0, groups)
        self.identity = nn.BatchNorm2d(in_ch) if (in_ch == out_ch and stride == 1) else None
        self.se = SEBlock(out_ch, max(out_ch // 4, 4)) if use_se else None
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.dense(x) + self.one(x)
        if self.identity is not None:
            y = y + self.identity(x)
        if self.se is not None:
            y = self.se(y)
        return self.relu(y)

    def fused_kernel_bias(self):
        k3, b3 = fuse_conv_bn(self.dense.conv, self.dense.bn)
        k1, b1 = fuse_conv_bn(self.one.conv, self.one.bn)
        k = k3 + pad_kernel_to(k1, 3, 3)
        b = b3 + b1
        if self.identity is not None:
            s, t = bn_scale_shift(self.identity)
            k = k + identity_kernel(self.in_ch, self.groups, 3) * s.reshape(-1, 1, 1, 1)
            b = b + t
        return k, b

    def reparameterize(self):
        k, b = self.fused_kernel_bias()
        se = copy.deepcopy(self.se) if self.se is not None else None
        return FusedBlock(make_conv(k, b, self.stride, 1, self.groups), se).eval()

    def describe(self):
        d = f"RepVGG {self.in_ch}->{self.out_ch} s{self.stride}"
        if self.groups > 1:
            d += f" g{self.groups}"
        d += " 3x3+1x1" + ("+idBN" if self.identity is not None else "")
        if self.se is not None:
            d += " +SE"
        return d


# ---------------------------------------------------------------- ACNet

class Crop(nn.Module):
    """Crop `rows` rows top+bottom and `cols` columns left+right (ACNet CropLayer)."""

    def __init__(self, rows, cols):
        super().__init__()
        self.rows, self.cols = rows, cols

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        if self.rows > 0:
            x = x[:, :, self.rows:h - self.rows, :]
        if self.cols > 0:
            x = x[:, :, :, self.cols:w - self.cols]
        return x


class ACBlock(nn.Module, ReparamMixin):
    """KxK-BN + 1xK-BN + Kx1-BN, summed, ReLU.

    The square conv uses padding p on both axes.  The 1xK branch needs padding
    p on the width axis and p - K//2 on the height axis to produce the same
    output grid with the same centre alignment; when p < K//2 that is negative,
    i.e. the input is cropped by K//2 - p rows (and symmetrically columns for
    the Kx1 branch).  The branch kernels then sit on the centre row / column of
    the square kernel, whatever p is.
    """

    def __init__(self, in_ch, out_ch, k=3, stride=1, padding=1, groups=1):
        super().__init__()
        assert k % 2 == 1
        self.in_ch, self.out_ch, self.k = in_ch, out_ch, k
        self.stride, self.padding, self.groups = stride, padding, groups
        self.square = conv_bn(in_ch, out_ch, k, stride, padding, groups)
        c = k // 2 - padding
        if c > 0:   # crop variant
            self.crop = c
            self.hor_crop = Crop(c, 0)
            self.ver_crop = Crop(0, c)
            hor_pad, ver_pad = (0, padding), (padding, 0)
        else:
            self.crop = 0
            self.hor_crop = nn.Identity()
            self.ver_crop = nn.Identity()
            hor_pad, ver_pad = (-c, padding), (padding, -c)
        self.hor = conv_bn(in_ch, out_ch, (1, k), stride, hor_pad, groups)
        self.ver = conv_bn(in_ch, out_ch, (k, 1), stride, ver_pad, groups)
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.square(x) + self.hor(self.hor_crop(x)) + self.ver(self.ver_crop(x))
        return self.relu(y)

    def reparameterize(self):
        k, b = fuse_conv_bn(self.square.conv, self.square.bn)
        kh, bh = fuse_conv_bn(self.hor.conv, self.hor.bn)
        kv, bv = fuse_conv_bn(self.ver.conv, self.ver.bn)
        c = self.k // 2
        k = k.clone()
        k[:, :, c:c + 1, :] += kh
        k[:, :, :, c:c + 1] += kv
        return FusedBlock(make_conv(k, b + bh + bv, self.stride, self.padding, self.groups)).eval()

    def describe(self):
        d = f"ACB {self.in_ch}->{self.out_ch} k{self.k} s{self.stride} p{self.padding}"
        if self.crop:
            d += f" crop{self.crop}"
        return d


# ---------------------------------------------------------------- DBB

class BNAndPad(nn.Module):
    """BatchNorm, then pad by `pad` pixels with the per-channel value that the
    BN produces for a zero input (beta - mean * gamma / sqrt(var + eps)), so a
    preceding bias-free 1x1 conv + this layer equals the 1x1 conv + BN applied
    to a zero-padded input.  Per-channel padding values are realised as
    pad(y - v, 0) + v (ONNX: Sub, Pad, Add)."""

    def __init__(self, channels, pad):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)
        self.pad = pad

    def pad_values(self):
        bn = self.bn
        return bn.bias - bn.running_mean * bn.weight / torch.sqrt(bn.running_var + bn.eps)

    def forward(self, x):
        y = self.bn(x)
        if self.pad > 0:
            v = self.pad_values().detach().reshape(1, -1, 1, 1)
            y = F.pad(y - v, [self.pad] * 4) + v
        return y


class DiverseBranchBlock(nn.Module, ReparamMixin):
    """Diverse Branch Block.

    Branches (summed, then ReLU):
      origin : KxK conv (stride, padding, groups) - BN
      1x1    : 1x1 conv (stride, groups) - BN            [absent when depthwise]
      avg    : 1x1 conv (groups) - BNAndPad(padding) - AVG(K, stride, pad 0) - BN
               depthwise: AVG(K, stride, padding) - BN (no 1x1 conv)
      1x1kxk : 1x1 conv (groups) - BNAndPad(padding) - KxK conv (stride, pad 0, groups) - BN
               internal width = in (2*in when depthwise: 1->2 per group, then 2->1)
    """

    def __init__(self, in_ch, out_ch, k=3, stride=1, padding=1, groups=1):
        super().__init__()
        assert padding >= k // 2, "1x1 branch alignment needs padding >= K//2"
        self.in_ch, self.out_ch, self.k = in_ch, out_ch, k
        self.stride, self.padding, self.groups = stride, padding, groups
        self.depthwise = groups == in_ch == out_ch
        self.origin = conv_bn(in_ch, out_ch, k, stride, padding, groups)
        if not self.depthwise:
            self.one = conv_bn(in_ch, out_ch, 1, stride, padding - k // 2, groups)
            self.avg = nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(in_ch, out_ch, 1, 1, 0, groups=groups, bias=False)),
                ("bnpad", BNAndPad(out_ch, padding)),
                ("pool", nn.AvgPool2d(k, stride, 0)),
                ("bn", nn.BatchNorm2d(out_ch)),
            ]))
        else:
            self.one = None
            self.avg = nn.Sequential(OrderedDict([
                ("pool", nn.AvgPool2d(k, stride, padding)),   # count_include_pad=True
                ("bn", nn.BatchNorm2d(out_ch)),
            ]))
        internal = 2 * in_ch if self.depthwise else in_ch
        self.internal = internal
        self.seq = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(in_ch, internal, 1, 1, 0, groups=groups, bias=False)),
            ("bnpad", BNAndPad(internal, padding)),
            ("conv2", nn.Conv2d(internal, out_ch, k, stride, 0, groups=groups, bias=False)),
            ("bn", nn.BatchNorm2d(out_ch)),
        ]))
        # start the 1x1 of the sequential branch close to identity
        with torch.no_grad():
            w = self.seq.conv1.weight
            w.mul_(0.1)
            ipg, mpg = in_ch // groups, internal // groups
            for m in range(internal):
                w[m, (m % mpg) % ipg, 0, 0] += 1.0
        self.relu = nn.ReLU()

    def forward(self, x):
        y = self.origin(x) + self.avg(x) + self.seq(x)
        if self.one is not None:
            y = y + self.one(x)
        return self.relu(y)

    def reparameterize(self):
        K, g = self.k, self.groups
        k, b = fuse_conv_bn(self.origin.conv, self.origin.bn)
        if self.one is not None:
            k1, b1 = fuse_conv_bn(self.one.conv, self.one.bn)
            k = k + pad_kernel_to(k1, K, K)
            b = b + b1
        # avg branch
        s2, t2 = bn_scale_shift(self.avg.bn)
        if not self.depthwise:
            ka, ba = fuse_conv_bn(self.avg.conv, self.avg.bnpad.bn)
            kav, bav = merge_1x1_kxk(ka, ba, avg_kernel(self.out_ch, g, K),
                                     torch.zeros(self.out_ch), g)
        else:
            kav, bav = avg_kernel(self.out_ch, g, K), torch.zeros(self.out_ch)
        k = k + kav * s2.reshape(-1, 1, 1, 1)
        b = b + bav * s2 + t2
        # 1x1 -> KxK branch
        ks1, bs1 = fuse_conv_bn(self.seq.conv1, self.seq.bnpad.bn)
        ks2, bs2 = fuse_conv_bn(self.seq.conv2, self.seq.bn)
        kq, bq = merge_1x1_kxk(ks1, bs1, ks2, bs2, g)
        k = k + kq
        b = b + bq
        return FusedBlock(make_conv(k, b, self.stride, self.padding, g)).eval()

    def describe(self):
        d = f"DBB {self.in_ch}->{self.out_ch} k{self.k} s{self.stride}"
        if self.depthwise:
            d += f" depthwise(g{self.groups}, 1x1-kxk width {self.internal})"
        elif self.groups > 1:
            d += f" g{self.groups}"
        return d


# ---------------------------------------------------------------- ResRep

class ResRepBlock(nn.Module, ReparamMixin):
    """KxK conv - BN - 1x1 compactor (bias-free, identity-initialised) - ReLU."""

    def __init__(self, in_ch, out_ch, k=3, stride=1, padding=1):
        super().__init__()
        self.in_ch, self.out_ch, self.k, self.stride, self.padding = in_ch, out_ch, k, stride, padding
        self.cb = conv_bn(in_ch, out_ch, k, stride, padding)
        self.compactor = nn.Conv2d(out_ch, out_ch, 1, bias=False)
        with torch.no_grad():
            self.compactor.weight.copy_(torch.eye(out_ch).reshape(out_ch, out_ch, 1, 1))
        self.relu = nn.ReLU()
        # rows currently masked for pruning (ResRep "gradient resetting")
        self.register_buffer("mask", torch.zeros(out_ch, dtype=torch.bool), persistent=False)

    def forward(self, x):
        return self.relu(self.compactor(self.cb(x)))

    def row_norms(self):
        return self.compactor.weight.detach().reshape(self.out_ch, -1).norm(dim=1)

    def zero_small_rows(self, threshold):
        with torch.no_grad():
            small = self.row_norms() < threshold
            self.compactor.weight[small] = 0.0
        return int(small.sum())

    def zero_rows(self):
        return int((self.row_norms() == 0).sum())

    def reparameterize(self):
        k, b = fuse_conv_bn(self.cb.conv, self.cb.bn)
        c = self.compactor.weight.detach()[:, :, 0, 0]          # (out, out)
        k = torch.einsum("oj,jihw->oihw", c, k)
        b = c @ b
        return FusedBlock(make_conv(k, b, self.stride, self.padding, 1)).eval()

    def describe(self):
        return (f"ResRep {self.in_ch}->{self.out_ch} k{self.k} s{self.stride} "
                f"compactor {self.out_ch}x{self.out_ch}, {self.zero_rows()} zero rows")


REPARAM_TYPES = (ConvBNReLU, RepVGGBlock, ACBlock, DiverseBranchBlock, ResRepBlock)
