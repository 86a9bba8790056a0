#!/usr/bin/env python3
"""Reference files for the insightface import/export tests, made with PyTorch.

Builds networks shaped like insightface's arcface_torch backbones (same modules, same
state_dict names, same forward order), fills them with random weights and batch-norm
statistics measured on random data (so that every running mean/variance is non-trivial and
activations stay in range), then writes for each:

  <name>.pth          torch.save(state_dict), zip format (torch >= 1.6)
  <name>-legacy.pth   torch.save(state_dict, _use_new_zipfile_serialization=False)
  <name>-op11.onnx    torch.onnx.export, opset 11, dynamic batch
  <name>-op17.onnx    the same at opset 17
  <name>.emb.f32      PyTorch's embeddings of images.u8, float32 little-endian, [N, D]
  <name>.json         architecture, input size, embedding size, parameter count

plus images.u8 (N x 112 x 112 x 3 RGB bytes) and, for the small variant, a DDP-style fp16
checkpoint and an ONNX file that normalises raw 0-255 input with Sub/Mul nodes the way
MXNet-converted insightface models do.

  python3 make_interop_fixtures.py --out DIR --set small   # the committed fixtures (< 1 MB)
  python3 make_interop_fixtures.py --out DIR --set full    # iResNet-18/50, MobileFaceNet
"""
import argparse
import json
import os

import numpy as np
import torch
from torch import nn

EPS = 1e-5


def scaled(channels, width):
    return max(1, int(round(channels * width)))


# ---- iResNet, as arcface_torch's backbones/iresnet.py lays it out ----------------------------

class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=EPS)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=EPS)
        self.prelu = nn.PReLU(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout, eps=EPS)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=EPS))

    def forward(self, x):
        y = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        shortcut = self.downsample(x) if self.downsample is not None else x
        return y + shortcut


IRESNET_LAYERS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 14, 3], 100: [3, 13, 30, 3], 200: [6, 26, 60, 6]}


class IResNet(nn.Module):
    def __init__(self, depth, width=1.0, num_features=512):
        super().__init__()
        stem = scaled(64, width)
        self.conv1 = nn.Conv2d(3, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem, eps=EPS)
        self.prelu = nn.PReLU(stem)
        cin = stem
        for stage, (blocks, planes) in enumerate(zip(IRESNET_LAYERS[depth], [64, 128, 256, 512])):
            cout = scaled(planes, width)
            modules = []
            for b in range(blocks):
                modules.append(Block(cin, cout, 2 if b == 0 else 1))
                cin = cout
            setattr(self, f'layer{stage + 1}', nn.Sequential(*modules))
        self.bn2 = nn.BatchNorm2d(cin, eps=EPS)
        self.dropout = nn.Dropout(p=0, inplace=True)
        self.fc = nn.Linear(cin * 7 * 7, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=EPS)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.dropout(torch.flatten(self.bn2(x), 1))
        return self.features(self.fc(x))


# ---- MobileFaceNet, as arcface_torch's backbones/mobilefacenet.py lays it out ----------------

class ConvBN(nn.Module):
    """Conv + BN (+ PReLU): the `layers` Sequential of ConvBlock / LinearBlock."""

    def __init__(self, cin, cout, kernel=1, stride=1, padding=0, groups=1, act=True):
        super().__init__()
        mods = [nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act:
            mods.append(nn.PReLU(cout))
        self.layers = nn.Sequential(*mods)

    def forward(self, x):
        return self.layers(x)


class DepthWise(nn.Module):
    def __init__(self, cin, cout, residual, stride, groups):
        super().__init__()
        self.residual = residual
        self.layers = nn.Sequential(
            ConvBN(cin, groups),
            ConvBN(groups, groups, 3, stride, 1, groups=groups),
            ConvBN(groups, cout, act=False),
        )

    def forward(self, x):
        y = self.layers(x)
        return x + y if self.residual else y


class Residual(nn.Module):
    def __init__(self, c, count, groups):
        super().__init__()
        self.layers = nn.Sequential(*[DepthWise(c, c, True, 1, groups) for _ in range(count)])

    def forward(self, x):
        return self.layers(x)


class Flatten(nn.Module):
    def forward(self, x):
        return x.view(x.size(0), -1)


class GDC(nn.Module):
    def __init__(self, channels, num_features):
        super().__init__()
        self.layers = nn.Sequential(
            ConvBN(channels, channels, 7, 1, 0, groups=channels, act=False),
            Flatten(),
            nn.Linear(channels, num_features, bias=False),
            nn.BatchNorm1d(num_features),
        )

    def forward(self, x):
        return self.layers(x)


class MobileFaceNet(nn.Module):
    def __init__(self, width=1.0, num_features=512, blocks=(1, 4, 6, 2), scale=2):
        super().__init__()
        c = lambda n: scaled(n, width)  # noqa: E731
        self.layers = nn.ModuleList()
        self.layers.append(ConvBN(3, c(64 * scale), 3, 2, 1))
        if blocks[0] == 1:
            self.layers.append(ConvBN(c(64 * scale), c(64 * scale), 3, 1, 1, groups=c(64)))
        else:
            self.layers.append(Residual(c(64 * scale), blocks[0], c(128)))
        self.layers.extend([
            DepthWise(c(64 * scale), c(64 * scale), False, 2, c(128)),
            Residual(c(64 * scale), blocks[1], c(128)),
            DepthWise(c(64 * scale), c(128 * scale), False, 2, c(256)),
            Residual(c(128 * scale), blocks[2], c(256)),
            DepthWise(c(128 * scale), c(128 * scale), False, 2, c(512)),
            Residual(c(128 * scale), blocks[3], c(256)),
        ])
        self.conv_sep = ConvBN(c(128 * scale), c(512))
        self.features = GDC(c(512), num_features)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.features(self.conv_sep(x))


class RawInput(nn.Module):
    """(x - 127.5) * 0.0078125 inside the graph, as in MXNet-converted insightface ONNX files."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net((x - 127.5) * 0.0078125)


# ---- weights, data, files -------------------------------------------------------------------

def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (1.4 / fan_in) ** 0.5)
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (1.0 / m.in_features) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.4 + 0.05)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.8 + 0.6)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
        # Running statistics measured on random inputs (cumulative average over a few batches),
        # then moved off the measured values so that train- and eval-mode BN differ.
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.reset_running_stats()
                m.momentum = None
        model.train()
        for _ in range(3):
            model(torch.randn(8, 3, 112, 112, generator=g))
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.momentum = 0.1
                m.running_mean.add_(torch.randn(m.running_mean.shape, generator=g) * 0.05 * m.running_var.sqrt())
                m.running_var.mul_(torch.rand(m.running_var.shape, generator=g) * 0.4 + 0.8)
    model.eval()


def images(count, seed=7):
    """Smooth colour fields plus noise: every pixel 0..255, no two images alike."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:112, 0:112] / 111.0
    out = np.empty((count, 112, 112, 3), dtype=np.uint8)
    for i in range(count):
        chans = []
        for _ in range(3):
            a, b, c, d = rng.uniform(-1, 1, 4)
            field = 0.5 + 0.35 * np.sin(3 * a * xx + 3 * b * yy + 6 * c) * np.cos(4 * d * xx * yy)
            chans.append(field + rng.normal(0, 0.08, field.shape))
        out[i] = np.clip(np.stack(chans, -1) * 255, 0, 255).round().astype(np.uint8)
    return out


def normalised(batch):
    x = torch.from_numpy(batch.astype(np.float32)).permute(0, 3, 1, 2).contiguous()
    return (x - 127.5) / 127.5


def export_onnx(model, path, opset, fold=True):
    dummy = torch.zeros(1, 3, 112, 112)
    torch.onnx.export(model, dummy, path, opset_version=opset, input_names=['input.1'], output_names=['embedding'],
                      dynamic_axes={'input.1': {0: 'None'}, 'embedding': {0: 'None'}}, do_constant_folding=fold)


def write(out, name, model, arch, embedding_size, pics, extra):
    with torch.no_grad():
        emb = model(normalised(pics)).numpy().astype('<f4')
    state = model.state_dict()
    torch.save(state, os.path.join(out, f'{name}.pth'))
    torch.save(state, os.path.join(out, f'{name}-legacy.pth'), _use_new_zipfile_serialization=False)
    for opset in (11, 17):
        export_onnx(model, os.path.join(out, f'{name}-op{opset}.onnx'), opset)
    if name == 'mobilefacenet-narrow':
        # Opset 9 without constant folding: PReLU slopes through Unsqueeze, the FC weight through Transpose.
        export_onnx(model, os.path.join(out, f'{name}-op9-nofold.onnx'), 9, fold=False)
    emb.tofile(os.path.join(out, f'{name}.emb.f32'))
    info = dict(arch, inputShape=[112, 112, 3], embeddingSize=embedding_size,
                parameters=sum(p.numel() for p in model.parameters()), images=len(pics))
    if extra:
        # fp16 weights with DDP's 'module.' prefix; embeddings of the fp16-rounded weights.
        half = {f'module.{k}': (v.half() if v.is_floating_point() else v) for k, v in state.items()}
        torch.save(half, os.path.join(out, f'{name}-fp16-ddp.pth'))
        rounded = {k[len('module.'):]: (v.float() if v.is_floating_point() else v) for k, v in half.items()}
        model.load_state_dict(rounded)
        with torch.no_grad():
            model(normalised(pics)).numpy().astype('<f4').tofile(os.path.join(out, f'{name}-fp16.emb.f32'))
        model.load_state_dict(state)
        raw = RawInput(model).eval()
        export_onnx(raw, os.path.join(out, f'{name}-raw-op11.onnx'), 11)
        with torch.no_grad():
            x = torch.from_numpy(pics.astype(np.float32)).permute(0, 3, 1, 2).contiguous()
            raw(x).numpy().astype('<f4').tofile(os.path.join(out, f'{name}-raw.emb.f32'))
    with open(os.path.join(out, f'{name}.json'), 'w') as f:
        json.dump(info, f, indent=2)
        f.write('\n')


class RunsCode:
    """Pickles as a call of os.system: what a malicious checkpoint looks like. Never loaded here."""

    def __reduce__(self):
        return (os.system, ('echo this pickle ran code',))


class ConvRelu(nn.Module):
    """A graph with an op insightface recognition models do not use (Relu)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3, 1, 1, bias=False)

    def forward(self, x):
        return torch.relu(self.conv(x))


def write_error_cases(out):
    torch.save({'conv1.weight': torch.zeros(2, 3, 3, 3), 'payload': RunsCode()}, os.path.join(out, 'runs-code.pth'))
    export_onnx(ConvRelu().eval(), os.path.join(out, 'relu-op11.onnx'), 11)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    parser.add_argument('--set', choices=['small', 'full'], default='small')
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    pics = images(3)
    pics.tofile(os.path.join(args.out, 'images.u8'))
    if args.set == 'small':
        write_error_cases(args.out)
        models = [
            ('iresnet18-narrow', IResNet(18, width=1 / 32, num_features=16),
             {'backbone': 'iresnet18', 'width': 1 / 32}, 16, True),
            ('mobilefacenet-narrow', MobileFaceNet(width=1 / 16, num_features=16),
             {'backbone': 'mobilefacenet', 'width': 1 / 16}, 16, False),
        ]
    else:
        models = [
            ('iresnet18', IResNet(18), {'backbone': 'iresnet18', 'width': 1}, 512, False),
            ('iresnet50', IResNet(50), {'backbone': 'iresnet50', 'width': 1}, 512, False),
            ('mobilefacenet', MobileFaceNet(), {'backbone': 'mobilefacenet', 'width': 1}, 512, False),
        ]
    for i, (name, model, arch, size, extra) in enumerate(models):
        randomise(model, 1000 + i)
        write(args.out, name, model, arch, size, pics, extra)
        print(name, sum(p.numel() for p in model.parameters()))


if __name__ == '__main__':
    main()
