"""Reference similarity transforms: Umeyama (1991) by SVD in float64 numpy.

The algorithm of the paper (and of scikit-image's _umeyama with estimate_scale=True): centre
both point sets, A = dst_c^T src_c / n, d = diag(1, sign det A), R = U d V^T (with the rank-1
case of the paper), scale = trace(diag(S) d) / var(src), t = mean(dst) - scale R mean(src).
Cases: random five-point sets, noisy copies of similarities, and mirrored (reflected) targets.

Run: python3 packages/core/scripts/make-umeyama-fixture.py   (numpy)
Writes packages/core/test/fixtures/umeyama.json.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'umeyama.json')


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


def main():
    rng = np.random.default_rng(2019)
    cases = []
    for k in range(12):
        src = rng.uniform(0, 400, size=(5, 2))
        if k < 4:
            dst = rng.uniform(0, 112, size=(5, 2))
        else:
            phi = rng.uniform(-np.pi, np.pi)
            s = rng.uniform(0.2, 3)
            m = s * np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
            if k >= 8:
                m = m @ np.diag([-1.0, 1.0])  # a mirror image: the best similarity is no reflection
            dst = src @ m.T + rng.uniform(-50, 50, size=2) + rng.normal(0, 1.5, size=(5, 2))
        cases.append({'src': src.tolist(), 'dst': dst.tolist(), 'matrix': umeyama(src, dst).tolist()})
    json.dump({'method': __doc__.strip().splitlines()[0], 'cases': cases}, open(OUT, 'w'), indent=1)


if __name__ == '__main__':
    main()
