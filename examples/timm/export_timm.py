"""Export small, randomly initialised timm re-parameterizable nets as ONNX fixtures.

PYTHONPATH=/path/to/timm-src /usr/bin/python3 examples/timm/export_timm.py [--out test/fixtures/timm] [--only a,b]

Builds, for each family, a SMALL variant with timm's own model classes (reduced
widths / depths / stage counts through the constructors), randomises every
BatchNorm's statistics and affine parameters and every layer-scale gamma with a
seeded generator (so that a wrong fold shows in the logits), and writes into
<out>:

  inputs.bin              float32 LE NCHW [8,3,64,64]: the N=8 samples, shared by all
                          fixtures (torch.Generator().manual_seed(INPUT_SEED).randn)
  <name>.onnx             training-time (unfused) eval-mode net, TorchScript exporter,
                          input "input" [1,3,64,64] -> "logits" [1,10]
  <name>.torch-out.bin    float32 LE [8,10]: PyTorch logits of the samples, run one
                          at a time (batch 1, like the ONNX graph)
  <name>.json             metadata: timm class / constructor args, versions, opset,
                          ONNX op histogram, Conv count of this export and of the
                          export of timm's reparameterize_model() of the same net
                          (deploy_convs), deploy_max_abs_err, logit range, ...

`<name>_op17.*` are the same nets (same weights, same logits) exported at opset 17.
timm's source is not needed at test time; it is only imported here.
Deterministic: two runs write byte-identical files (torch.set_num_threads(1)).
"""
import argparse
import copy
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import warnings
import zlib
from collections import Counter
from functools import partial

import torch
import torch.nn as nn

import timm
from timm.utils.model import reparameterize_model
from timm.models.byobnet import ByobNet, ByoModelCfg, _rep_vgg_bcfg, _mobileone_bcfg
from timm.models.repghost import RepGhostNet
from timm.models.repvit import RepVit
from timm.models.fastvit import FastVit, RepConditionalPosEnc, LayerScale2d
from timm.models.ghostnet import GhostNet

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

TIMM_COMMIT = "aa4b5850c1543fa488abf260f18390eda46cf85d"
INPUT_SEED = 1234
N_SAMPLES = 8
CALIB_N = 16
INPUT_SHAPE = [1, 3, 64, 64]
NUM_CLASSES = 10

# ---------------------------------------------------------------------------------------------
# model definitions: (name, family, timm class, constructor kwargs as JSON-able, builder, notes)
# ---------------------------------------------------------------------------------------------


def _byob(cfg_kwargs, blocks_fn, blocks_kwargs):
    def build():
        cfg = ByoModelCfg(blocks=blocks_fn(**blocks_kwargs), **cfg_kwargs)
        return ByobNet(cfg, num_classes=NUM_CLASSES)
    return build


# RepGhostNet / GhostNet cfgs: [k, exp, c, se_ratio, stride] per block, one list per stage.
# (the last block's exp size sets the width of the final 1x1 ConvBnAct feeding the fixed 1280-wide conv_head)
REPGHOST_CFGS = [
    [[3, 16, 16, 0, 1]],
    [[3, 48, 24, 0, 2]],
    [[3, 72, 24, 0, 1]],
    [[5, 72, 40, 0.25, 2]],
    [[3, 120, 48, 0, 2],
     [3, 64, 48, 0.25, 1]],
]
GHOSTV3_CFGS = [
    [[3, 16, 16, 0, 1]],
    [[3, 48, 24, 0, 2]],
    [[3, 72, 24, 0, 1]],
    [[5, 72, 40, 0.25, 2]],
    [[3, 120, 48, 0, 2],
     [3, 96, 48, 0.25, 1]],
]

MODELS = []


def model(name, family, cls, args, build, notes, op17=False):
    MODELS.append(dict(name=name, family=family, cls=cls, args=args, build=build, notes=notes, op17=op17))


_rv = dict(d=(1, 2, 2, 1), wf=(0.25, 0.25, 0.25, 0.25), groups=4)
_rv_cfg = dict(stem_type="rep", stem_chs=16)
model("repvgg", "repvgg", "timm.models.byobnet.ByobNet",
      dict(cfg=dict(blocks=f"_rep_vgg_bcfg(d={_rv['d']}, wf={_rv['wf']}, groups={_rv['groups']})", **_rv_cfg),
           num_classes=NUM_CLASSES),
      _byob(_rv_cfg, _rep_vgg_bcfg, _rv),
      "timm repvgg_* cfg family (block type 'rep', 'rep' stem = RepVggBlock s2): channels 16/32/64/128, "
      "depth 1/2/2/1; groups=4 on every 2nd block of a stage (as repvgg_*g4); 3x3+1x1+identity-BN branches")

_mo = dict(d=(1, 2, 2, 1), wf=(0.25, 0.25, 0.25, 0.25), num_conv_branches=4)
_mo_cfg = dict(stem_type="one", stem_chs=16)
model("mobileone", "mobileone", "timm.models.byobnet.ByobNet",
      dict(cfg=dict(blocks=f"_mobileone_bcfg(d={_mo['d']}, wf={_mo['wf']}, num_conv_branches=4)", **_mo_cfg),
           num_classes=NUM_CLASSES),
      _byob(_mo_cfg, _mobileone_bcfg, _mo),
      "mobileone_s0-style (num_conv_branches=4, 'one' stem): each unit = depthwise 3x3 MobileOneBlock "
      "(4 kxk branches + 1x1 scale branch + identity BN) then pointwise 1x1 MobileOneBlock (4 branches + identity BN)",
      op17=True)

_mose = dict(d=(1, 2, 2, 1), wf=(0.25, 0.25, 0.25, 0.25), se_blocks=(0, 0, 1, 1), num_conv_branches=1)
model("mobileone_se", "mobileone", "timm.models.byobnet.ByobNet",
      dict(cfg=dict(blocks=f"_mobileone_bcfg(d={_mose['d']}, wf={_mose['wf']}, se_blocks={_mose['se_blocks']}, "
                           f"num_conv_branches=1)", **_mo_cfg),
           num_classes=NUM_CLASSES),
      _byob(_mo_cfg, _mobileone_bcfg, _mose),
      "mobileone_s1..s4-style (num_conv_branches=1) with SE (as mobileone_s4) on the last unit of stages 3 and 4")

_rg = dict(cfgs=REPGHOST_CFGS, width=0.5, num_classes=NUM_CLASSES)
model("repghost", "repghost", "timm.models.repghost.RepGhostNet", dict(_rg),
      lambda: RepGhostNet(**_rg),
      "RepGhostNet (reparam=True): RepGhostModule = primary 1x1 conv-BN-ReLU, cheap dw conv-BN + fusion BN "
      "(identity branch), ReLU; hard-sigmoid SE; dw-conv shortcut on stride/width change; head conv 1280")

_rvit = dict(embed_dim=(16, 32, 64), depth=(2, 2, 2), mlp_ratio=2, img_size=64, num_classes=NUM_CLASSES)
model("repvit", "repvit", "timm.models.repvit.RepVit", dict(_rvit),
      lambda: RepVit(**_rvit),
      "RepViT (legacy=False, as repvit_m0_9/m1_0...): RepVggDw = dw 3x3 conv-BN + dw 1x1 conv (bias) + identity, "
      "then BN; SE every other block; GELU MLP of 1x1 conv-BN; distillation head = two BN1d+Linear averaged")

_rvitl = dict(_rvit, legacy=True)
model("repvit_legacy", "repvit", "timm.models.repvit.RepVit", dict(_rvitl),
      lambda: RepVit(**_rvitl),
      "RepViT legacy=True (as repvit_m1/m2/m3): RepVggDw = dw 3x3 conv-BN + dw 1x1 conv-BN + identity, no post-BN")

_fvt = dict(layers=(1, 1, 2), embed_dims=(16, 32, 64), mlp_ratios=(3, 3, 3),
            token_mixers=("repmixer", "repmixer", "repmixer"),
            pos_embs=(None, None, "partial(RepConditionalPosEnc, spatial_shape=(7, 7))"),
            num_classes=NUM_CLASSES)
_fvt_b = dict(_fvt, pos_embs=(None, None, partial(RepConditionalPosEnc, spatial_shape=(7, 7))))
model("fastvit", "fastvit", "timm.models.fastvit.FastVit", _fvt,
      lambda: FastVit(**_fvt_b),
      "FastViT-T-style, all RepMixer stages (no attention: a pure conv net) plus a RepCPE 7x7 pos-emb before "
      "stage 3; MobileOne conv stem (3 MobileOneBlocks), PatchEmbed = ReparamLargeKernelConv 7x7(+3x3) + "
      "MobileOneBlock 1x1; ConvMlp (dw7x7 conv-BN, 1x1, GELU, 1x1); layer scales; final MobileOneBlock with SE",
      op17=True)

_fsa = dict(layers=(1, 1, 1), embed_dims=(16, 32, 64), mlp_ratios=(3, 3, 3),
            token_mixers=("repmixer", "repmixer", "attention"),
            pos_embs=(None, None, "partial(RepConditionalPosEnc, spatial_shape=(7, 7))"),
            num_classes=NUM_CLASSES)
_fsa_b = dict(_fsa, pos_embs=(None, None, partial(RepConditionalPosEnc, spatial_shape=(7, 7))))
model("fastvit_sa", "fastvit", "timm.models.fastvit.FastVit", _fsa,
      lambda: FastVit(**_fsa_b),
      "FastViT-SA-style: RepMixer stages 1-2, RepCPE 7x7 + attention stage 3 (BN, MHSA 2 heads of 32, "
      "non-fused softmax attention since torch 1.13 has no SDPA)",
      op17=True)

_g3 = dict(cfgs=GHOSTV3_CFGS, width=0.5, version="v3", num_classes=NUM_CLASSES)
model("ghostnetv3", "ghostnetv3", "timm.models.ghostnet.GhostNet", dict(_g3),
      lambda: GhostNet(**_g3),
      "GhostNetV3: GhostModuleV3 = 3 primary 1x1 conv-BN branches (ReLU), cheap dw 3 branches + 1x1 scale + "
      "identity BN (ReLU), concat; blocks from the 3rd on use mode 'shortcut' = DFC attention (avgpool 2, "
      "1x1 conv-BN, dw 1x5/5x1 conv-BN, sigmoid, nearest Resize, Mul); stride-2 dw = 3 dw kxk branches + "
      "1x1 scale; hard-sigmoid SE; head conv 1280")


# ---------------------------------------------------------------------------------------------


def randomise(net, seed):
    """Seeded non-trivial BN parameters/statistics and layer-scale gammas.

    1. in module registration order, every BatchNorm: weight~U(0.5,1.5), bias~N(0,0.1); every
       LayerScale2d gamma~U(0.25,0.75);
    2. one eval-mode forward of CALIB_N seeded calibration images (seed+1) with a pre-hook on each
       BatchNorm that, in execution order, sets its running statistics from the mean m and variance v
       of the input it actually receives, perturbed per channel: running_mean = m + N(0,0.1)*sqrt(v),
       running_var = max(v,1e-3) * U(0.5,1.5).
    Plain random statistics (independent of the data) make activations grow or vanish with depth
    (a MobileOne with 4 summed branches reached logits of ~5e3); calibrating first keeps every
    layer O(1) while the statistics stay non-trivial, so a wrong fold shows in the logits.
    """
    g = torch.Generator().manual_seed(seed)
    bns, n_ls = [], 0
    with torch.no_grad():
        for _, m in net.named_modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                if m.weight is not None:
                    m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(c, generator=g) * 0.1)
                bns.append(m)
            elif isinstance(m, LayerScale2d):
                m.gamma.copy_(torch.rand(m.gamma.shape, generator=g) * 0.5 + 0.25)
                n_ls += 1
        # any other layer-scale style parameter (none expected in these nets)
        for mname, m in net.named_modules():
            for pname, _ in m.named_parameters(recurse=False):
                if "gamma" in pname and not isinstance(m, LayerScale2d):
                    raise RuntimeError(f"unhandled layer-scale parameter {mname}.{pname}")

        done = set()

        def hook(m, inp):
            if id(m) in done:
                raise RuntimeError("BatchNorm module used twice")
            done.add(id(m))
            x = inp[0]
            dims = [d for d in range(x.dim()) if d != 1]
            mean = x.mean(dim=dims)
            var = x.var(dim=dims, unbiased=False).clamp_min(1e-3)
            c = mean.numel()
            m.running_mean.copy_(mean + torch.randn(c, generator=g) * 0.1 * var.sqrt())
            m.running_var.copy_(var * (torch.rand(c, generator=g) + 0.5))

        handles = [m.register_forward_pre_hook(hook) for m in bns]
        net.eval()
        xc = torch.randn([CALIB_N] + INPUT_SHAPE[1:], generator=torch.Generator().manual_seed(seed + 1))
        net(xc)
        for h in handles:
            h.remove()
        if len(done) != len(bns):
            raise RuntimeError(f"{len(bns) - len(done)} BatchNorms not reached by the calibration pass")
    return len(bns), n_ls


def make_inputs():
    g = torch.Generator().manual_seed(INPUT_SEED)
    return torch.randn([N_SAMPLES] + INPUT_SHAPE[1:], generator=g)


def run(net, x):
    with torch.no_grad():
        return torch.cat([net(x[i:i + 1]) for i in range(len(x))])


def export(net, path, opset):
    x = torch.zeros(INPUT_SHAPE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, x, path, opset_version=opset, input_names=["input"], output_names=["logits"],
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)


def onnx_info(path):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = Counter(n.op_type for n in m.graph.node)
    n_params = sum(math.prod(t.dims) for t in m.graph.initializer)
    return dict(sorted(ops.items())), len(m.graph.node), len(m.graph.initializer), n_params


def write_f32(path, t):
    t = t.detach().contiguous().to(torch.float32).numpy()
    with open(path, "wb") as fh:
        fh.write(t.astype("<f4").tobytes())


def git_commit(path):
    try:
        return subprocess.check_output(["git", "-C", path, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "timm"))
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    only = set(filter(None, args.only.split(",")))

    timm_dir = os.path.dirname(os.path.dirname(os.path.abspath(timm.__file__)))
    commit = git_commit(timm_dir)
    if commit is not None and commit != TIMM_COMMIT:
        print(f"warning: timm source at {commit}, fixtures were made at {TIMM_COMMIT}", file=sys.stderr)

    x = make_inputs()
    write_f32(os.path.join(args.out, "inputs.bin"), x)

    for spec in MODELS:
        if only and spec["name"] not in only:
            continue
        seed = zlib.crc32(spec["name"].encode()) % 100000  # stable per name, independent of list order
        torch.manual_seed(seed)
        net = spec["build"]()
        n_bn, n_ls = randomise(net, seed)
        net.eval()
        y = run(net, x)
        deploy = reparameterize_model(net)  # deep copy (inplace=False)
        deploy.eval()
        yd = run(deploy, x)
        err = (yd - y).abs().max().item()
        n_train_params = sum(p.numel() for p in net.parameters())
        n_deploy_params = sum(p.numel() for p in deploy.parameters())

        with tempfile.TemporaryDirectory() as td:
            dpath = os.path.join(td, "deploy.onnx")
            export(deploy, dpath, 13)
            deploy_ops, _, _, _ = onnx_info(dpath)

        variants = [(spec["name"], 13)] + ([(spec["name"] + "_op17", 17)] if spec["op17"] else [])
        for vname, opset in variants:
            opath = os.path.join(args.out, vname + ".onnx")
            export(net, opath, opset)
            ops, n_nodes, n_init, n_onnx_params = onnx_info(opath)
            write_f32(os.path.join(args.out, vname + ".torch-out.bin"), y)
            meta = dict(
                name=vname,
                family=spec["family"],
                timm_class=spec["cls"],
                timm_args=spec["args"],
                notes=spec["notes"],
                exporter="torchscript",
                torch_version=torch.__version__,
                timm_version=timm.__version__,
                timm_commit=TIMM_COMMIT,
                opset=opset,
                input_name="input",
                output_name="logits",
                input_shape=INPUT_SHAPE,
                output_shape=[1, NUM_CLASSES],
                weights_seed=seed,
                weights_init="timm's own init after torch.manual_seed(weights_seed); then (torch.Generator "
                             "seeded weights_seed) in module registration order every BatchNorm weight~U(0.5,1.5), "
                             "bias~N(0,0.1), every LayerScale2d gamma~U(0.25,0.75); then one eval forward of "
                             f"{CALIB_N} calibration images (randn, seed weights_seed+1) sets each BatchNorm's "
                             "running stats, in execution order, from the mean m / variance v of its actual input: "
                             "running_mean=m+N(0,0.1)*sqrt(v), running_var=max(v,1e-3)*U(0.5,1.5)",
                randomised_batchnorms=n_bn,
                randomised_layer_scales=n_ls,
                samples=N_SAMPLES,
                inputs_file="inputs.bin",
                inputs_shape=[N_SAMPLES] + INPUT_SHAPE[1:],
                inputs_seed=INPUT_SEED,
                inputs_recipe="torch.Generator().manual_seed(inputs_seed); torch.randn(inputs_shape, generator=g)",
                torch_out_file=vname + ".torch-out.bin",
                torch_out_shape=[N_SAMPLES, NUM_CLASSES],
                logit_range=round(float(y.max() - y.min()), 6),
                logit_abs_max=round(float(y.abs().max()), 6),
                params_train=n_train_params,
                params_deploy=n_deploy_params,
                onnx_nodes=n_nodes,
                onnx_initializers=n_init,
                onnx_initializer_elements=n_onnx_params,
                onnx_checker="ok",
                onnx_ops=ops,
                convs=ops.get("Conv", 0),
                deploy_convs=deploy_ops.get("Conv", 0),
                deploy_onnx_ops=deploy_ops,
                deploy_max_abs_err=float(f"{err:.3e}"),
            )
            with open(os.path.join(args.out, vname + ".json"), "w") as fh:
                json.dump(meta, fh, indent=2)
                fh.write("\n")
            size = os.path.getsize(opath)
            print(f"{vname:18s} op{opset} {size / 1024:7.1f} KiB  convs {meta['convs']:3d} -> deploy {meta['deploy_convs']:3d}"
                  f"  deploy_err {err:.2e}  logit range {meta['logit_range']:.3f}  ops {ops}")


if __name__ == "__main__":
    main()
