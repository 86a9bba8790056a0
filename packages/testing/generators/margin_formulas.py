"""The built-in margins' target logit t(θ) and its derivative dt/d(cos θ), in float64, written
from the formulas in DESIGN.md (the `@arcface/margins` contract) and ANCHORS.md §2.

`target(xp, name, options, theta, cos)` works on numpy arrays and on torch tensors alike (xp is
the module), so the loss generator differentiates the very formula the margin tables print.
`derivative` is the closed form; margins.py checks it against torch autograd of `target`.
"""
import math

import numpy as np


def _where(xp, cond, a, b):
    return xp.where(cond, a, b)


def _floor(xp, v):
    return xp.floor(v)


def _clip(xp, v, low, high):
    if xp is np:
        return np.clip(v, low, high)
    return v.clamp(low, high)


def target(xp, name, options, theta, cos):
    """t(θ) for a margin; `cos` must be cos(theta) (passed in so that torch differentiates
    through the caller's own acos)."""
    if name == 'additive-angular':
        m = options['m']
        shifted = xp.cos(theta + m)
        boundary = options['boundary']
        if boundary == 'none':
            return shifted
        if boundary == 'easy':
            # No margin past 90°: where cos θ ≤ 0 the target is cos θ itself.
            return _where(xp, cos > 0, shifted, cos)
        threshold = math.cos(math.pi - m)
        if boundary == 'thmm':
            # insightface / pytorch-metric-learning: past π − m, cos θ − m·sin m.
            return _where(xp, cos > threshold, shifted, cos - m * math.sin(m))
        if boundary == 'reflect':
            # Keras_insightface: the reflection −2 − cos(θ + m) about −1, continuous and monotone.
            return _where(xp, cos > threshold, shifted, -2.0 - shifted)
        raise ValueError(f'unknown boundary {boundary!r}')
    if name == 'additive-cosine':
        return cos - options['m']
    if name == 'combined':
        m1, m2, m3 = options['m1'], options['m2'], options['m3']
        body = xp.cos(m1 * theta + m2) - m3
        if options['boundary'] == 'none':
            return body
        # Past (π − m2)/m1 the angle m1·θ + m2 passes π: reflect as 2(−1 − m3) − body.
        return _where(xp, theta > (math.pi - m2) / m1, 2.0 * (-1.0 - m3) - body, body)
    if name == 'multiplicative-angular':
        m = options['m']
        lam = options['lambda']
        k = _clip(xp, _floor(xp, m * theta / math.pi), 0, m - 1)
        sign = 1.0 - 2.0 * (k - 2.0 * _floor(xp, k / 2.0))  # (−1)^k for integer k ≥ 0
        psi = sign * xp.cos(m * theta) - 2.0 * k
        return (psi + lam * cos) / (1.0 + lam)
    if name == 'softmax-normalized':
        return cos
    raise ValueError(f'unknown margin {name!r}')


def derivative(name, options, theta):
    """dt/d(cos θ) in closed form: d/dc f(θ) = −f'(θ)/sin θ. Undefined at θ = 0 and π (the caller
    leaves those out)."""
    with np.errstate(divide='ignore', invalid='ignore'):
        return _derivative(name, options, theta)


def _derivative(name, options, theta):
    cos = np.cos(theta)
    sin = np.sin(theta)
    one = np.ones_like(theta)
    if name == 'additive-angular':
        m = options['m']
        shifted = np.sin(theta + m) / sin
        boundary = options['boundary']
        if boundary == 'none':
            return shifted
        if boundary == 'easy':
            return np.where(cos > 0, shifted, one)
        threshold = math.cos(math.pi - m)
        if boundary == 'thmm':
            return np.where(cos > threshold, shifted, one)
        return np.where(cos > threshold, shifted, -shifted)
    if name == 'additive-cosine' or name == 'softmax-normalized':
        return one
    if name == 'combined':
        m1, m2 = options['m1'], options['m2']
        body = m1 * np.sin(m1 * theta + m2) / sin
        if options['boundary'] == 'none':
            return body
        return np.where(theta > (math.pi - m2) / m1, -body, body)
    if name == 'multiplicative-angular':
        m = options['m']
        lam = options['lambda']
        k = np.clip(np.floor(m * theta / np.pi), 0, m - 1)
        sign = np.where(k % 2 == 0, 1.0, -1.0)
        dpsi = sign * m * np.sin(m * theta) / sin
        return (dpsi + lam) / (1.0 + lam)
    raise ValueError(f'unknown margin {name!r}')


def special_points(name, options):
    """Angles where a branch changes or the curve is worth sampling closely (π/2 always)."""
    points = [math.pi / 2]
    if name in ('additive-angular', 'additive-cosine'):
        points.append(math.pi - options['m'])
    elif name == 'combined':
        points.append((math.pi - options['m2']) / options['m1'])
    elif name == 'multiplicative-angular':
        points.extend(k * math.pi / options['m'] for k in range(1, options['m']))
    return sorted(set(points))


def nondifferentiable_at(name, options):
    """Where t(θ) has a kink: the easy margin at π/2, th/mm at π − m. The other boundaries are
    continuous in value and slope (reflect) or smooth (ψ at kπ/m)."""
    if name == 'additive-angular' and options['boundary'] == 'easy':
        return [math.pi / 2]
    if name == 'additive-angular' and options['boundary'] == 'thmm':
        return [math.pi - options['m']]
    return []
