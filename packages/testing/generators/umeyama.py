"""Reference similarity transforms: Umeyama (1991) by SVD in float64 numpy.

The algorithm of the paper (and of scikit-image's _umeyama with estimate_scale=True): centre
both point sets, A = dst_c^T src_c / n, d = diag(1, sign det A), R = U d V^T (with the rank-1
case of the paper), scale = trace(diag(S) d) / var(src), t = mean(dst) - scale R mean(src).
Cases: random five-point sets, noisy copies of similarities, and mirrored (reflected) targets.

Writes packages/core/test/fixtures/umeyama.json (see README.md for how to run it).
"""
import math
import os

import numpy as np

from common import Rng, core_fixture_dir, write_json

SEED = 2019


def umeyama(src, dst):
    n, dim = src.shape
    ms, md = src.mean(0), dst.mean(0)
    sc, dc = src - ms, dst - md
    a = dc.T @ sc / n
    d = np.ones(dim)
    if np.linalg.det(a) < 0:
        d[-1] = -1
    u, s, vt = np.linalg.svd(a)
    rank = np.linalg.matrix_rank(a)
    if rank == dim - 1:
        if np.linalg.det(u) * np.linalg.det(vt) > 0:
            r = u @ vt
        else:
            dd = d.copy()
            dd[-1] = -1
            r = u @ np.diag(dd) @ vt
    else:
        r = u @ np.diag(d) @ vt
    scale = (s @ d) / sc.var(0).sum()
    t = md - scale * (r @ ms)
    return np.hstack([scale * r, t[:, None]])


def points(rng, n, low, high):
    return np.array([[rng.uniform(low, high) for _ in range(2)] for _ in range(n)])


def reference():
    rng = Rng(SEED)
    cases = []
    for k in range(12):
        src = points(rng, 5, 0, 400)
        if k < 4:
            dst = points(rng, 5, 0, 112)
        else:
            phi = rng.uniform(-math.pi, math.pi)
            s = rng.uniform(0.2, 3)
            m = s * np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
            if k >= 8:
                m = m @ np.diag([-1.0, 1.0])  # a mirror image: the best similarity is no reflection
            noise = np.array([[1.5 * rng.gauss() for _ in range(2)] for _ in range(5)])
            dst = src @ m.T + points(rng, 1, -50, 50)[0] + noise
        cases.append({'src': src.tolist(), 'dst': dst.tolist(), 'matrix': umeyama(src, dst).tolist()})
    return {'method': __doc__.strip().splitlines()[0], 'cases': cases}


def generate(root):
    write_json(os.path.join(core_fixture_dir(root), 'umeyama.json'), reference(), indent=1)
