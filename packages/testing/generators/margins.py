"""margins.json and sphereface-lambda.json: t(θ) and dt/d(cos θ) of every built-in margin on a
fine θ grid, and the SphereFace λ schedule, in float64.

The closed-form derivative is checked here against torch autograd of the same target formula
(through acos), so a slip in either shows up when the file is made.
"""
import math
import os

import numpy as np
import torch

from common import golden_dir, write_json
from margin_formulas import derivative, nondifferentiable_at, special_points, target

CASES = [
    ('additive-angular', {'m': 0.5, 'boundary': 'none'}),
    ('additive-angular', {'m': 0.5, 'boundary': 'easy'}),
    ('additive-angular', {'m': 0.5, 'boundary': 'thmm'}),
    ('additive-angular', {'m': 0.5, 'boundary': 'reflect'}),
    ('additive-angular', {'m': 0.35, 'boundary': 'none'}),
    ('additive-angular', {'m': 0.35, 'boundary': 'easy'}),
    ('additive-angular', {'m': 0.35, 'boundary': 'thmm'}),
    ('additive-angular', {'m': 0.35, 'boundary': 'reflect'}),
    ('additive-cosine', {'m': 0.35}),
    # The paper's CM1 and CM2, and SphereFace's arccos form m1 = 1.35 (ArcFace Table 2).
    ('combined', {'m1': 1.0, 'm2': 0.3, 'm3': 0.2, 'boundary': 'none'}),
    ('combined', {'m1': 1.0, 'm2': 0.3, 'm3': 0.2, 'boundary': 'reflect'}),
    ('combined', {'m1': 0.9, 'm2': 0.4, 'm3': 0.15, 'boundary': 'none'}),
    ('combined', {'m1': 0.9, 'm2': 0.4, 'm3': 0.15, 'boundary': 'reflect'}),
    ('combined', {'m1': 1.35, 'm2': 0.0, 'm3': 0.0, 'boundary': 'none'}),
    ('combined', {'m1': 1.35, 'm2': 0.0, 'm3': 0.0, 'boundary': 'reflect'}),
    # A fixed λ: 0 is the bare ψ, 5 is the annealed floor, 1000 the schedule's start.
    ('multiplicative-angular', {'m': 4, 'lambda': 0.0}),
    ('multiplicative-angular', {'m': 4, 'lambda': 5.0}),
    ('multiplicative-angular', {'m': 4, 'lambda': 1000.0}),
    ('softmax-normalized', {}),
]

GRID = 'numpy.linspace(0, pi, 721) + boundary points +-1e-6, sorted'
CONVENTION = ('c=cos(theta); logit_target=s*target; dtarget_dcos null within 1e-3 of theta=0/pi '
              'or within 1e-5 of a non-differentiable boundary')
ENDS = 1e-3
KINK = 1e-5
STEP = 1e-6

LAMBDA_OPTIONS = {'base': 1000.0, 'gamma': 0.12, 'power': 1.0, 'lambda_min': 5.0}


def grid(points):
    theta = set(np.linspace(0.0, math.pi, 721).tolist())
    for p in points:
        theta.update((p - STEP, p + STEP))
    return np.array(sorted(theta))


def autograd_derivative(name, options, theta):
    c = torch.tensor(np.cos(theta), dtype=torch.float64, requires_grad=True)
    t = target(torch, name, options, torch.acos(c), c)
    (grad,) = torch.autograd.grad(t.sum(), c)
    return grad.numpy()


def margin_case(name, options):
    points = special_points(name, options)
    kinks = nondifferentiable_at(name, options)
    theta = grid(points)
    values = target(np, name, options, theta, np.cos(theta))
    slope = derivative(name, options, theta)
    undefined = (theta < ENDS) | (theta > math.pi - ENDS)
    for k in kinks:
        undefined |= np.abs(theta - k) < KINK
    auto = autograd_derivative(name, options, theta)
    defined = ~undefined
    floor = 1e-3 * np.max(np.abs(slope[defined]))
    err = np.abs(auto[defined] - slope[defined]) / np.maximum(np.abs(slope[defined]), floor)
    if not np.all(err < 1e-8):
        raise AssertionError(f'{name} {options}: closed-form derivative differs from autograd by {err.max():.3g}')
    return {
        'name': name,
        'options': options,
        'theta': theta.tolist(),
        'target': values.tolist(),
        'dtarget_dcos': [None if u else float(d) for u, d in zip(undefined, slope)],
        'special_points': points,
        'nondifferentiable_at': kinks,
    }


def sphereface_lambda(step, base, gamma, power, lambda_min):
    return max(lambda_min, base * (1.0 + gamma * step) ** (-power))


def generate(root):
    out = golden_dir(root)
    cases = [margin_case(name, options) for name, options in CASES]
    write_json(os.path.join(out, 'margins.json'), {'grid': GRID, 'convention': CONVENTION, 'cases': cases})
    steps = list(range(0, 30001, 100))
    lam = [sphereface_lambda(s, **LAMBDA_OPTIONS) for s in steps]
    write_json(os.path.join(out, 'sphereface-lambda.json'), {
        'formula': 'max(lambda_min, base*(1+gamma*step)**(-power))',
        'cases': [{'name': 'sphereface-lambda', 'options': LAMBDA_OPTIONS, 'steps': steps, 'lambda': lam}],
    })
