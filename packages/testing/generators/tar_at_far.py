"""packages/core/test/fixtures/tar-at-far.json: TAR at a given FAR by insightface's
calculate_val (eval/verification.py), in float64 numpy, on the distances of verification.json.

Folds are the contiguous splits KFold(shuffle=False) makes. The threshold reaching the target
FAR on the training folds is interp1d(far_train, thresholds, kind='slinear') as SciPy <= 1.8
evaluated it: a stable sort by FAR, then a degree-1 B-spline on the knots
[x0, x0, x1, ..., x(n-1), x(n-1)] evaluated by de Boor's recursion. `slinear` below does that
arithmetic step for step (the interval search and the two basis weights), so no SciPy is needed;
SciPy >= 1.9 refuses the repeated FAR values anyway.
"""
import json
import os

import numpy as np

from common import core_fixture_dir, golden_dir, write_json

PROTOCOL = "Reference values for tarAtFar: insightface's calculate_val in float64 numpy."


def val_far(threshold, dist, same):
    predict = np.less(dist, threshold)
    ta = np.sum(np.logical_and(predict, same))
    fa = np.sum(np.logical_and(predict, np.logical_not(same)))
    n_same = np.sum(same)
    n_diff = np.sum(np.logical_not(same))
    # insightface divides unguarded and raises ZeroDivisionError on a fold with one class only
    # (the 'halves' layout has such folds); the library counts the rate as 0 there.
    val = float(ta) / float(n_same) if n_same > 0 else 0.0
    far = float(fa) / float(n_diff) if n_diff > 0 else 0.0
    return val, far


def slinear(x, y, at):
    """Linear B-spline through (x, y) after a stable sort by x, at one point, with the interval
    choice of a left-closed search (a repeated x takes the last interval that starts there)."""
    order = np.argsort(x, kind='mergesort')
    x = np.asarray(x, dtype=np.float64)[order]
    c = np.asarray(y, dtype=np.float64)[order]
    if at < x[0] or at > x[-1]:
        raise ValueError('out of range')
    t = np.r_[x[0], x, x[-1]]
    k = 1
    n = len(t) - k - 1
    # The interval l with t[l] <= at < t[l+1], searched upwards from l = k, stopping at n.
    l = k + 1
    while at >= t[l] and l != n:
        l += 1
    m = l - 1
    xa, xb = t[m], t[m + 1]
    if xb == xa:
        # Only at the top end, when the largest FAR repeats: de Boor's weights are both 0 there.
        h0, h1 = 0.0, 0.0
    else:
        w = 1.0 / (xb - xa)
        h0 = w * (xb - at)
        h1 = w * (at - xa)
    return float(0.0 + c[m - 1] * h0 + c[m] * h1)


def calculate_val(dist, same, far_target, thresholds, folds=10):
    idx = np.arange(len(dist))
    out = []
    for test in np.array_split(idx, folds):
        train = np.setdiff1d(idx, test)
        far_train = np.array([val_far(t, dist[train], same[train])[1] for t in thresholds])
        if np.max(far_train) >= far_target:
            threshold = slinear(far_train, thresholds, far_target)
        else:
            threshold = 0.0
        v, f = val_far(threshold, dist[test], same[test])
        out.append({'threshold': threshold, 'tar': v, 'far': f,
                    'start': int(test[0]), 'end': int(test[-1]) + 1})
    vals = np.array([o['tar'] for o in out])
    fars = np.array([o['far'] for o in out])
    return {'folds': out, 'tar_mean': float(np.mean(vals)), 'tar_std': float(np.std(vals)),
            'far_mean': float(np.mean(fars))}


def reference(verification):
    thresholds = np.arange(0, 4, 0.001)
    cases = []
    for case in verification['cases']:
        dist = np.asarray(case['dist'], dtype=np.float64)
        same = np.asarray(case['issame'], dtype=bool)
        for far in (1e-3, 1e-2, 0.1):
            r = calculate_val(dist, same, far, thresholds)
            r.update({'case': case['name'], 'far_target': far})
            cases.append(r)
    # A FAR reached exactly by the training folds (a plateau end) and one past every FAR
    # but the largest: both take the spline's special paths.
    case = verification['cases'][3]
    dist = np.asarray(case['dist'], dtype=np.float64)
    same = np.asarray(case['issame'], dtype=bool)
    n_diff_train = int(np.sum(~same[100:]))
    for far in (5.0 / n_diff_train, 1.0):
        r = calculate_val(dist, same, far, thresholds)
        r.update({'case': case['name'], 'far_target': far})
        cases.append(r)
    return {'protocol': PROTOCOL, 'cases': cases}


def generate(root):
    """Reads the verification.json just written below `root` (run verification.py first)."""
    with open(os.path.join(golden_dir(root), 'verification.json'), encoding='utf-8') as f:
        verification = json.load(f)
    write_json(os.path.join(core_fixture_dir(root), 'tar-at-far.json'), reference(verification))
