"""Reference values for tarAtFar: insightface's calculate_val in float64 numpy.

Folds are np.array_split of the pair indices (what KFold(shuffle=False) makes). The threshold
interpolation is interp1d(far_train, thresholds, kind='slinear') as SciPy <= 1.8 evaluated it:
a stable sort by FAR, then a degree-1 B-spline on the knots [x0, x0, x1, ..., x(n-1), x(n-1)]
(make_interp_spline's k=1 branch). SciPy >= 1.9 refuses repeated x, so the spline is built
directly with BSpline.construct_fast here.

Run: python3 packages/core/scripts/make-tar-at-far-fixture.py  (numpy, scipy)
Reads the distances of packages/testing/fixtures/golden/verification.json and writes
packages/core/test/fixtures/tar-at-far.json.
"""
import json
import os

import numpy as np
from scipy.interpolate import BSpline

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, '..', '..', 'testing', 'fixtures', 'golden', 'verification.json')
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'tar-at-far.json')


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


def slinear_old(x, y, at):
    order = np.argsort(x, kind='mergesort')
    x = x[order]
    y = y[order]
    if at < x[0] or at > x[-1]:
        raise ValueError('out of range')
    spline = BSpline.construct_fast(np.r_[x[0], x, x[-1]], np.ascontiguousarray(y), 1)
    return float(spline(at))


def calculate_val(dist, same, far_target, thresholds, folds=10):
    idx = np.arange(len(dist))
    out = []
    for test in np.array_split(idx, folds):
        train = np.setdiff1d(idx, test)
        far_train = np.array([val_far(t, dist[train], same[train])[1] for t in thresholds])
        if np.max(far_train) >= far_target:
            threshold = slinear_old(far_train, thresholds, far_target)
        else:
            threshold = 0.0
        v, f = val_far(threshold, dist[test], same[test])
        out.append({'threshold': threshold, 'tar': v, 'far': f,
                    'start': int(test[0]), 'end': int(test[-1]) + 1})
    vals = np.array([o['tar'] for o in out])
    fars = np.array([o['far'] for o in out])
    return {'folds': out, 'tar_mean': float(np.mean(vals)), 'tar_std': float(np.std(vals)),
            'far_mean': float(np.mean(fars))}


def main():
    golden = json.load(open(GOLDEN))
    thresholds = np.arange(0, 4, 0.001)
    cases = []
    for case in golden['cases']:
        dist = np.asarray(case['dist'], dtype=np.float64)
        same = np.asarray(case['issame'], dtype=bool)
        for far in (1e-3, 1e-2, 0.1):
            r = calculate_val(dist, same, far, thresholds)
            r.update({'case': case['name'], 'far_target': far})
            cases.append(r)
    # A FAR reached exactly by the training folds (a plateau end) and one past every FAR
    # but the largest: both take the spline's special paths.
    case = golden['cases'][3]
    dist = np.asarray(case['dist'], dtype=np.float64)
    same = np.asarray(case['issame'], dtype=bool)
    n_diff_train = int(np.sum(~same[100:]))
    for far in (5.0 / n_diff_train, 1.0):
        r = calculate_val(dist, same, far, thresholds)
        r.update({'case': case['name'], 'far_target': far})
        cases.append(r)
    json.dump({'protocol': __doc__.strip().splitlines()[0], 'cases': cases}, open(OUT, 'w'))


if __name__ == '__main__':
    main()
