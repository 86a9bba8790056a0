"""PyTorch reference timings for `pnpm bench`: the same work as bench/src on the same machine.

Usage: python3 bench/torch_reference.py --device cpu|cuda [--classes 1000,10000,100000]
       [--batch 64] [--reps 3] [--workloads head,train,infer] [--threads N]
Prints one JSON object on stdout. Architectures follow insightface's arcface_torch
(iresnet.py, mobilefacenet.py), as @arcface/backbones does.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.fx.experimental.optimization
import torch.nn as nn
import torch.nn.functional as F


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


class IBasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin, eps=1e-5)
        self.conv1 = conv3x3(cin, cout)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5)
        self.prelu = nn.PReLU(cout)
        self.conv2 = conv3x3(cout, cout, stride)
        self.bn3 = nn.BatchNorm2d(cout, eps=1e-5)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-5))

    def forward(self, x):
        y = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        return y + (x if self.down is None else self.down(x))


class IResNet(nn.Module):
    def __init__(self, layers=(2, 2, 2, 2), embedding=512, side=112):
        super().__init__()
        self.stem = nn.Sequential(conv3x3(3, 64), nn.BatchNorm2d(64, eps=1e-5), nn.PReLU(64))
        blocks, cin = [], 64
        for count, cout in zip(layers, (64, 128, 256, 512)):
            for b in range(count):
                blocks.append(IBasicBlock(cin, cout, 2 if b == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.bn2 = nn.BatchNorm2d(512, eps=1e-5)
        self.dropout = nn.Dropout(0.0)
        self.fc = nn.Linear(512 * (side // 16) ** 2, embedding)
        self.features = nn.BatchNorm1d(embedding, eps=1e-5)

    def forward(self, x):
        x = self.bn2(self.blocks(self.stem(x)))
        return self.features(self.fc(torch.flatten(self.dropout(x), 1)))


class ConvBlock(nn.Sequential):
    def __init__(self, cin, cout, k=1, s=1, p=0, groups=1, linear=False):
        layers = [nn.Conv2d(cin, cout, k, s, p, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if not linear:
            layers.append(nn.PReLU(cout))
        super().__init__(*layers)


class DepthWise(nn.Module):
    def __init__(self, cin, cout, groups, stride, residual):
        super().__init__()
        self.residual = residual
        self.body = nn.Sequential(
            ConvBlock(cin, groups), ConvBlock(groups, groups, 3, stride, 1, groups=groups), ConvBlock(groups, cout, linear=True)
        )

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileFaceNet(nn.Module):
    def __init__(self, blocks=(1, 4, 6, 2), scale=2, embedding=512, side=112):
        super().__init__()
        c = 64 * scale
        layers = [ConvBlock(3, c, 3, 2, 1), ConvBlock(c, c, 3, 1, 1, groups=c)]
        layers.append(DepthWise(c, c, 128, 2, False))
        layers += [DepthWise(c, c, 128, 1, True) for _ in range(blocks[1])]
        layers.append(DepthWise(c, 2 * c, 256, 2, False))
        layers += [DepthWise(2 * c, 2 * c, 256, 1, True) for _ in range(blocks[2])]
        layers.append(DepthWise(2 * c, 2 * c, 512, 2, False))
        layers += [DepthWise(2 * c, 2 * c, 256, 1, True) for _ in range(blocks[3])]
        layers.append(ConvBlock(2 * c, 512))
        self.layers = nn.Sequential(*layers)
        k = side // 16
        self.gdc = nn.Sequential(ConvBlock(512, 512, k, 1, 0, groups=512, linear=True), nn.Flatten(),
                                 nn.Linear(512, embedding, bias=False), nn.BatchNorm1d(embedding))

    def forward(self, x):
        return self.gdc(self.layers(x))


def arcface_loss(x, w, labels, s=64.0, m=0.5):
    """ArcFace with insightface's 'thmm' boundary: cos θ − m·sin m past θ = π − m."""
    cos = F.linear(F.normalize(x), F.normalize(w)).clamp(-1, 1)
    target = cos.gather(1, labels[:, None])
    sin = torch.sqrt((1 - target * target).clamp_min(1e-12))
    shifted = target * math.cos(m) - sin * math.sin(m)
    shifted = torch.where(target > math.cos(math.pi - m), shifted, target - m * math.sin(m))
    logits = cos.scatter(1, labels[:, None], shifted) * s
    return F.cross_entropy(logits, labels)


def timed(fn, reps, sync, warmups=1):
    for _ in range(warmups):
        fn()
    sync()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--classes", default="1000,10000,100000")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--side", type=int, default=112)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--train-reps", type=int, default=2)
    ap.add_argument("--workloads", default="head,train,infer")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        sync = torch.cuda.synchronize
    else:
        sync = lambda: None
    workloads = args.workloads.split(",")
    results = []

    if "head" in workloads:
        for c in [int(v) for v in args.classes.split(",")]:
            x = torch.randn(256, 512, device=dev, requires_grad=True)
            w = torch.randn(c, 512, device=dev, requires_grad=True)
            labels = torch.randint(0, c, (256,), device=dev)

            def step():
                x.grad = None
                w.grad = None
                arcface_loss(x, w, labels).backward()

            # Three untimed runs, as the tfjs side does (HEAD_WARMUPS in src/workloads.ts).
            results.append({"workload": "margin-head", "classes": c, "ms": timed(step, args.reps, sync, warmups=3)})
            del x, w

    nets = {"mobilefacenet": lambda: MobileFaceNet(side=args.side), "iresnet18": lambda: IResNet(side=args.side)}
    if "train" in workloads or "infer" in workloads:
        for name, build in nets.items():
            model = build().to(dev)
            images = torch.randn(args.batch, 3, args.side, args.side, device=dev)
            if "train" in workloads:
                head = torch.randn(1000, 512, device=dev, requires_grad=True)
                labels = torch.randint(0, 1000, (args.batch,), device=dev)
                opt = torch.optim.SGD(list(model.parameters()) + [head], lr=0.01, momentum=0.9)
                model.train()

                def train():
                    opt.zero_grad()
                    arcface_loss(model(images), head, labels).backward()
                    opt.step()

                results.append({"workload": "train-step", "network": name, "batch": args.batch,
                                "ms": timed(train, args.train_reps, sync)})
            if "infer" in workloads:
                model.eval()

                def infer():
                    with torch.no_grad():
                        model(images)

                ms = timed(infer, args.reps, sync)
                results.append({"workload": "inference", "network": name, "batch": args.batch, "ms": ms,
                                "imagesPerSecond": args.batch / ms * 1000})
                # The same network with every BatchNorm folded into the convolution before it
                # (torch.fx's inference fusion), against the tfjs plan that folds the same way.
                folded = torch.fx.experimental.optimization.fuse(model)

                def infer_folded():
                    with torch.no_grad():
                        folded(images)

                ms = timed(infer_folded, args.reps, sync)
                results.append({"workload": "inference", "network": name, "batch": args.batch, "ms": ms,
                                "imagesPerSecond": args.batch / ms * 1000, "variant": "folded"})
            del model

    info = {"engine": "pytorch", "version": torch.__version__, "device": args.device, "threads": torch.get_num_threads(),
            "blas": "openblas" if "openblas" in torch.__config__.show().lower() else "other"}
    if dev.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    print(json.dumps({"info": info, "results": results}))


if __name__ == "__main__":
    sys.exit(main())
