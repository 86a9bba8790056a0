"""Float64 values of the upstream heads' behaviour, written with torch autograd, for the tests.

Run with the system Python that has torch (Debian's python3-torch):

    /usr/bin/python3 packages/margins-contrib/scripts/upstream-heads-float64.py

It writes test/fixtures/upstream-heads.json. The operations follow the authors' files named in
the README (ElasticFace's utils/losses.py with plus=True, AdaFace's head.py): this is an
independent float64 implementation of those operations, not a copy of them.
"""
import json
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'upstream-heads.json')


def elastic_plus(cos, labels, margins, variant, s):
    """ElasticFace+: rows sorted by target cosine (descending), margins sorted ascending, and
    the margin of row i is the sorted margin at position order[i] (an index gather)."""
    cos = cos.clamp(-1, 1)
    rows = torch.arange(cos.shape[0])
    target = cos[rows, labels]
    # stable=True: ties go to the lower row, the rule the TypeScript side documents
    order = torch.sort(target, descending=True, stable=True).indices
    ascending = torch.sort(margins).values
    assigned = ascending[order]
    out = cos.clone()
    if variant == 'arc':
        out[rows, labels] = torch.cos(torch.acos(target) + assigned)
    else:
        out[rows, labels] = target - assigned
    return out * s, assigned


def adaface(cos, labels, norms, state, m, h, s, t_alpha, eps, training):
    """AdaFace: the whole cosine matrix clamped to ±(1 − eps), acos of every entry, the angular
    margin on the target column, θ clipped to [eps, π − eps], cos, the additive margin on the
    target column; running mean/std of the clipped norms (unbiased std)."""
    c = cos.clamp(-1 + eps, 1 - eps)
    safe = norms.clamp(0.001, 100).detach()
    mean, std = state
    if training:
        mean = safe.mean() * t_alpha + (1 - t_alpha) * mean
        std = safe.std() * t_alpha + (1 - t_alpha) * std
    scaler = ((safe - mean) / (std + eps) * h).clamp(-1, 1)
    onehot = torch.zeros_like(c)
    onehot[torch.arange(c.shape[0]), labels] = 1.0
    theta = (torch.acos(c) + onehot * (-m * scaler[:, None])).clamp(eps, math.pi - eps)
    logits = (torch.cos(theta) - onehot * (m + m * scaler[:, None])) * s
    return logits, (float(mean), float(std))


def main():
    rng = np.random.default_rng(20)
    fixture = {'elasticPlus': [], 'adaface': {}}

    for variant, sigma in (('arc', 0.0175), ('cos', 0.02)):
        m = 0.5 if variant == 'arc' else 0.35
        rows, classes = 16, 6
        cos = rng.uniform(-0.95, 0.95, size=(rows, classes))
        labels = rng.integers(0, classes, size=rows)
        margins = rng.normal(m, sigma, size=rows).astype(np.float32).astype(np.float64)
        logits, assigned = elastic_plus(torch.tensor(cos), torch.tensor(labels), torch.tensor(margins), variant, 64.0)
        fixture['elasticPlus'].append({
            'variant': variant, 'sigma': sigma, 's': 64.0,
            'cos': cos.tolist(), 'labels': labels.tolist(), 'margins': margins.tolist(),
            'assigned': assigned.tolist(), 'logits': logits.tolist(),
        })

    # AdaFace: three training calls with t_alpha = 0.3, non-target cosines at and near ±1.
    m, h, s, t_alpha, eps = 0.4, 0.333, 64.0, 0.3, 1e-3
    rows, classes = 6, 5
    labels = rng.integers(0, classes, size=rows)
    weights = rng.uniform(-1, 1, size=(rows, classes))
    state = (20.0, 100.0)
    calls = []
    for call in range(3):
        cos = rng.uniform(-0.95, 0.95, size=(rows, classes))
        for i in range(rows):
            others = [j for j in range(classes) if j != labels[i]]
            cos[i, others[0]] = [1.0, -1.0, 0.9999, -0.9999, 0.99899, -0.99901][i]
            cos[i, others[1]] = [0.9995, -0.99999, 1.0, 0.5, -1.0, 0.999001][i]
        norms = rng.uniform(2, 80, size=rows)
        x = torch.tensor(cos, requires_grad=True)
        logits, state = adaface(x, torch.tensor(labels), torch.tensor(norms), state, m, h, s, t_alpha, eps, True)
        (grad,) = torch.autograd.grad((logits * torch.tensor(weights)).sum() / s, x)
        calls.append({
            'cos': cos.tolist(), 'norms': norms.tolist(),
            'logits': logits.detach().tolist(), 'gradient': grad.tolist(),
            'mean': state[0], 'std': state[1],
        })
    fixture['adaface'] = {
        'options': {'m': m, 'h': h, 's': s, 'tAlpha': t_alpha, 'eps': eps},
        'labels': labels.tolist(), 'weights': weights.tolist(), 'calls': calls,
    }

    with open(OUT, 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
