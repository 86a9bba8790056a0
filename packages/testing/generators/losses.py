"""losses.json: the margin-softmax loss of small batches and its gradients, float64 torch
autograd, each case checked by central finite differences when it is made.

loss = mean over rows of cross-entropy(s · where(onehot, t(c_y), c)), c = x̂ Ŵᵀ with class
centres as the rows of W (DESIGN.md, `marginSoftmaxLoss`).
"""
import math
import os

import numpy as np
import torch

from common import Rng, golden_dir, write_json
from margin_formulas import target

SEED = 1
B, D, C = 6, 8, 5
FD_STEP = 1e-6
CONVENTION = ('c = normalize(x) @ normalize(W)^T (W rows = class centres); logits = s*where(onehot, t(c_y), c); '
              'loss = mean cross-entropy; fd rel err = max|ad-fd|/max(|ad|,|fd|,1e-3*max|ad|)')

CASES = [
    ('additive-angular', {'m': 0.5, 'boundary': 'none'}, 64.0),
    ('additive-angular', {'m': 0.5, 'boundary': 'none'}, 16.0),
    ('additive-angular', {'m': 0.5, 'boundary': 'thmm'}, 64.0),
    ('additive-cosine', {'m': 0.35}, 64.0),
    ('combined', {'m1': 1.0, 'm2': 0.3, 'm3': 0.2, 'boundary': 'none'}, 64.0),
    ('multiplicative-angular', {'m': 4, 'lambda': 5.0}, 64.0),
    ('softmax-normalized', {}, 64.0),
]


def case_id(name, options, s):
    parts = [name] + [f'{k}={v}' for k, v in options.items()] + [f's{int(s)}']
    return '/'.join(parts)


def forward(name, options, s, x, w, labels):
    xn = x / x.norm(dim=1, keepdim=True)
    wn = w / w.norm(dim=1, keepdim=True)
    c = xn @ wn.T
    rows = torch.arange(x.shape[0])
    cy = c[rows, labels]
    t = target(torch, name, options, torch.acos(cy), cy)
    onehot = torch.zeros_like(c, dtype=torch.bool)
    onehot[rows, labels] = True
    logits = s * torch.where(onehot, t[:, None].expand_as(c), c)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    return c, logits, loss


def finite_difference(fn, value):
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        plus, minus = value.copy(), value.copy()
        plus[index] += FD_STEP
        minus[index] -= FD_STEP
        grad[index] = (fn(plus) - fn(minus)) / (2 * FD_STEP)
    return grad


def relative_error(ad, fd):
    floor = 1e-3 * np.max(np.abs(ad))
    return float(np.max(np.abs(ad - fd) / np.maximum(np.maximum(np.abs(ad), np.abs(fd)), floor)))


def draw_inputs(rng, name, options):
    x = np.array([[rng.gauss() for _ in range(D)] for _ in range(B)])
    w = np.array([[rng.gauss() for _ in range(D)] for _ in range(C)])
    labels = np.array([rng.below(C) for _ in range(B)])
    if options.get('boundary') == 'thmm':
        # Put one sample nearly opposite its centre so the th/mm fallback (θ_y > π − m) is used.
        x[0] = -w[labels[0]] + 0.3 * np.array([rng.gauss() for _ in range(D)])
    return x, w, labels


def branch_points(name, options):
    if name == 'additive-angular' and options['boundary'] != 'none':
        return [math.pi / 2 if options['boundary'] == 'easy' else math.pi - options['m']]
    if name == 'multiplicative-angular':
        return [k * math.pi / options['m'] for k in range(1, options['m'])]
    return []


def loss_case(rng, name, options, s):
    # Redraw until no target angle sits within 0.02 rad of a branch point or of 0 and π, where
    # a float32 implementation could fairly pick the other branch or lose its derivative.
    while True:
        x, w, labels = draw_inputs(rng, name, options)
        xn = x / np.linalg.norm(x, axis=1, keepdims=True)
        wn = w / np.linalg.norm(w, axis=1, keepdims=True)
        theta_y = np.arccos((xn @ wn.T)[np.arange(B), labels])
        near = [abs(theta_y - p).min() for p in branch_points(name, options) + [0.0, math.pi]]
        if min(near) > 0.02:
            break
    if options.get('boundary') == 'thmm':
        assert theta_y.max() > math.pi - options['m'], 'the th/mm fallback is not exercised'

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    lt = torch.tensor(labels, dtype=torch.int64)
    c, logits, loss = forward(name, options, s, xt, wt, lt)
    grad_x, grad_w = torch.autograd.grad(loss, [xt, wt])
    grad_x, grad_w = grad_x.numpy(), grad_w.numpy()

    def loss_at(xv, wv):
        with torch.no_grad():
            return forward(name, options, s, torch.tensor(xv), torch.tensor(wv), lt)[2].item()

    err_x = relative_error(grad_x, finite_difference(lambda v: loss_at(v, w), x))
    err_w = relative_error(grad_w, finite_difference(lambda v: loss_at(x, v), w))
    if max(err_x, err_w) > 1e-5:
        raise AssertionError(f'{case_id(name, options, s)}: autograd and finite differences differ ({err_x:.3g}, {err_w:.3g})')
    return {
        'id': case_id(name, options, s),
        'margin': {'name': name, 'options': options},
        's': s,
        'B': B,
        'D': D,
        'C': C,
        'x': x.tolist(),
        'W': w.tolist(),
        'labels': labels.tolist(),
        'cos': c.detach().numpy().tolist(),
        'theta_target': theta_y.tolist(),
        'logits': logits.detach().numpy().tolist(),
        'loss': loss.item(),
        'grad_x': grad_x.tolist(),
        'grad_W': grad_w.tolist(),
        'gradient_mode': 'exact',
        # The errors themselves vary in their last digits between machines; a bound does not.
        'fd_check': {'step': FD_STEP, 'max_rel_err_below': 1e-5},
    }


def generate(root):
    rng = Rng(SEED)
    cases = [loss_case(rng, name, options, s) for name, options, s in CASES]
    write_json(os.path.join(golden_dir(root), 'losses.json'), {'convention': CONVENTION, 'seed': SEED, 'cases': cases})
