"""A one-off comparison of these generators with an independent float64 implementation's
files (the project's shared `golden/` folder, outside the repository), run on *their* inputs:

    /usr/bin/python3 packages/testing/generators/crosscheck.py --golden ../shared/golden \
        [--core-before DIR]   (umeyama.json and tar-at-far.json as made by the earlier scripts)

Each check prints its largest difference; the exit status is non-zero if any is out of bounds.
CI cannot run this (a clone has no ../shared); check.py is what CI runs.
"""
import argparse
import json
import math
import os
import pickle
import struct
import sys
import zlib

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import losses  # noqa: E402
import margins  # noqa: E402
import recordio  # noqa: E402
import tar_at_far  # noqa: E402
import umeyama  # noqa: E402
import verification  # noqa: E402
import verification_bin  # noqa: E402
from png import grey_png  # noqa: E402

failures = []


def report(what, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")
    if not ok:
        failures.append(what)


def load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def rel(a, b, floor=0.0):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), max(floor, 1e-300))))


def check_margins(golden):
    g = load(os.path.join(golden, 'margins.json'))
    worst_t, worst_d = 0.0, 0.0
    for (name, options), gc in zip(margins.CASES, g['cases']):
        assert gc['name'] == name and gc['options'] == options, (gc['name'], gc['options'])
        mine = margins.margin_case(name, options)
        # Compare angle by angle: the other file lists a repeated special point's neighbours twice.
        theirs = {t: (v, d) for t, v, d in zip(gc['theta'], gc['target'], gc['dtarget_dcos'])}
        ours = {t: (v, d) for t, v, d in zip(mine['theta'], mine['target'], mine['dtarget_dcos'])}
        report(f'margins {name} {options} grid', set(ours) == set(theirs),
               f'{len(ours)} distinct angles, same set: {set(ours) == set(theirs)}')
        floor = 1e-3 * max(abs(d) for _, d in theirs.values() if d is not None)
        for t, (v, d) in ours.items():
            gv, gd = theirs[t]
            worst_t = max(worst_t, abs(v - gv))
            if (d is None) != (gd is None):
                report(f'margins {name} {options} derivative defined at {t}', False, f'{d} vs {gd}')
            elif d is not None:
                worst_d = max(worst_d, abs(d - gd) / max(abs(gd), floor))
    report('margins.json targets', worst_t < 1e-12, f'max |Δt| = {worst_t:.3g}')
    report('margins.json derivatives', worst_d < 1e-9, f'max relative Δ(dt/dc) = {worst_d:.3g} (floor 1e-3 of the case max)')
    gl = load(os.path.join(golden, 'sphereface-lambda.json'))['cases'][0]
    mine = [margins.sphereface_lambda(s, **margins.LAMBDA_OPTIONS) for s in gl['steps']]
    report('sphereface-lambda.json', rel(mine, gl['lambda']) < 1e-15, f"{len(mine)} steps, max relative Δ = {rel(mine, gl['lambda']):.3g}")


def check_losses(golden):
    g = load(os.path.join(golden, 'losses.json'))
    for gc in g['cases']:
        name, options, s = gc['margin']['name'], gc['margin']['options'], gc['s']
        x = torch.tensor(gc['x'], dtype=torch.float64, requires_grad=True)
        w = torch.tensor(gc['W'], dtype=torch.float64, requires_grad=True)
        labels = torch.tensor(gc['labels'])
        c, logits, loss = losses.forward(name, options, s, x, w, labels)
        gx, gw = torch.autograd.grad(loss, [x, w])
        errs = {
            'loss': rel(loss.item(), gc['loss']),
            'logits': rel(logits.detach().numpy(), gc['logits'], 1e-3 * s),
            'grad_x': rel(gx.numpy(), gc['grad_x'], 1e-3 * np.max(np.abs(gc['grad_x']))),
            'grad_W': rel(gw.numpy(), gc['grad_W'], 1e-3 * np.max(np.abs(gc['grad_W']))),
        }
        worst = max(errs.values())
        report(f"losses {gc['id']}", worst < 1e-10, ', '.join(f'{k} {v:.2g}' for k, v in errs.items()))


def check_verification(golden):
    g = load(os.path.join(golden, 'verification.json'))
    thresholds = np.arange(0, 4, 0.01)
    report('verification thresholds', thresholds.tolist() == g['thresholds'], 'numpy.arange(0, 4, 0.01) bit for bit')
    for gc in g['cases']:
        r = verification.evaluate(np.array(gc['dist']), np.array(gc['issame']), thresholds)
        folds_equal = r['folds'] == gc['folds']
        exact = r['accuracy_mean'] == gc['accuracy_mean'] and abs(r['accuracy_std'] - gc['accuracy_std']) <= 1e-15
        rates = max(float(np.max(np.abs(np.array(r['tpr_mean']) - gc['tpr_mean']))),
                    float(np.max(np.abs(np.array(r['fpr_mean']) - gc['fpr_mean']))))
        report(f"verification {gc['name']}", folds_equal and exact and rates <= 1e-15,
               f'folds identical: {folds_equal}, mean/std exact: {exact}, max |Δ tpr/fpr| = {rates:.2g}')
    return g


def check_core(golden_verification, before):
    if before is None:
        print('skip umeyama/tar-at-far: no --core-before folder given')
        return
    old = load(os.path.join(before, 'tar-at-far.json'))
    new = tar_at_far.reference(golden_verification)
    worst = 0.0
    same_shape = len(old['cases']) == len(new['cases'])
    for o, n in zip(old['cases'], new['cases']):
        same_shape &= o['case'] == n['case'] and o['far_target'] == n['far_target']
        for fo, fn in zip(o['folds'], n['folds']):
            same_shape &= (fo['tar'], fo['far'], fo['start'], fo['end']) == (fn['tar'], fn['far'], fn['start'], fn['end'])
            worst = max(worst, abs(fo['threshold'] - fn['threshold']))
        worst = max(worst, abs(o['tar_mean'] - n['tar_mean']), abs(o['tar_std'] - n['tar_std']))
    report('tar-at-far without SciPy vs the SciPy-made file', same_shape and worst == 0.0,
           f"{len(new['cases'])} cases, same folds/rates: {same_shape}, max |Δ threshold or mean| = {worst:.2g}")
    old = load(os.path.join(before, 'umeyama.json'))
    worst = max(float(np.max(np.abs(umeyama.umeyama(np.array(c['src']), np.array(c['dst'])) - np.array(c['matrix']))))
                for c in old['cases'])
    report('umeyama on the earlier cases', worst < 1e-12, f'max |Δ matrix| = {worst:.2g}')


def png_pixels(png):
    """Pixels of a greyscale PNG (any zlib stream, no filters other than 0)."""
    at, idat, width, height = 8, b'', 0, 0
    while at < len(png):
        (length,) = struct.unpack_from('>I', png, at)
        kind = png[at + 4:at + 8]
        data = png[at + 8:at + 8 + length]
        if kind == b'IHDR':
            width, height = struct.unpack_from('>II', data)
        elif kind == b'IDAT':
            idat += data
        at += 12 + length
    raw = zlib.decompress(idat)
    rows = [raw[y * (width + 1):(y + 1) * (width + 1)] for y in range(height)]
    assert all(r[0] == 0 for r in rows)
    return width, height, b''.join(r[1:] for r in rows)


def check_recordio(golden):
    g = load(os.path.join(golden, 'recordio', 'expected.json'))
    rec = open(os.path.join(golden, 'recordio', 'train.rec'), 'rb').read()
    idx = open(os.path.join(golden, 'recordio', 'train.idx'), 'rb').read()
    # Read each logical record back (joining split parts with the magic), then re-write it.
    payloads = []
    for line in idx.decode().splitlines():
        key, offset = map(int, line.split('\t'))
        parts, at = [], offset
        while True:
            _, lrec = struct.unpack_from('<II', rec, at)
            length, cflag = lrec & ((1 << 29) - 1), lrec >> 29
            parts.append(rec[at + 8:at + 8 + length])
            at += 8 + length + (-length % 4)
            if cflag in (0, 3):
                break
        payloads.append((key, recordio.MAGIC_BYTES.join(parts)))
    rewritten = b''.join(recordio.frame(p) for _, p in payloads)
    report('recordio: the dmlc framing re-writes train.rec', rewritten == rec, f'{len(rec)} bytes identical: {rewritten == rec}')
    repacked = all(
        recordio.pack(key, payload_label(p), p[24 + 4 * struct.unpack_from('<I', p)[0]:]) == p for key, p in payloads)
    report('recordio: IRHeader packing', repacked, 'every record re-packed byte for byte')
    mine = load_generated('recordio/expected.json')
    keys = ['rec_size', 'magic', 'header0', 'identities', 'num_images', 'num_identities', 'num_logical_records',
            'num_physical_parts', 'physical_parts', 'split_record_keys', 'idx']
    differing = [k for k in keys if mine[k] != g[k]]
    report('recordio: layout of the generated set', not differing, f'fields equal: {len(keys) - len(differing)}/{len(keys)} {differing}')


def payload_label(p):
    flag, label = struct.unpack_from('<If', p)
    return list(struct.unpack_from(f'<{flag}f', p, 24)) if flag else label


def check_bin(golden):
    py2 = open(os.path.join(golden, 'bin', 'verify_py2.bin'), 'rb').read()
    py3 = open(os.path.join(golden, 'bin', 'verify_py3.bin'), 'rb').read()
    bins, issame = pickle.loads(py2, encoding='bytes')
    mine2, _ = verification_bin.py2_pickle(bins, issame)
    report('bin: the py2 (cPickle) writer on the same data', mine2 == py2, f'{len(py2)} bytes identical: {mine2 == py2}')
    mine3 = pickle.dumps((bins, issame), protocol=4)
    report('bin: protocol 4 on the same data', mine3 == py3, f'{len(py3)} bytes identical: {mine3 == py3}')
    same_pixels = True
    for b in bins:
        end = b.index(b'IEND') + 8
        w, h, pixels = png_pixels(b[:end])
        again = png_pixels(grey_png(w, h, pixels))
        same_pixels &= again == (w, h, pixels) and len(grey_png(w, h, pixels)) == (140 if w == 8 else 340)
    report('bin: PNG encoder', same_pixels, f'{len(bins)} images re-encoded to the same pixels and sizes')


GENERATED = None


def load_generated(rel_path):
    return load(os.path.join(GENERATED, 'packages', 'testing', 'fixtures', 'golden', rel_path))


def main():
    global GENERATED
    parser = argparse.ArgumentParser()
    parser.add_argument('--golden', required=True)
    parser.add_argument('--core-before')
    parser.add_argument('--generated', default=os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')))
    args = parser.parse_args()
    GENERATED = args.generated
    check_margins(args.golden)
    check_losses(args.golden)
    golden_verification = check_verification(args.golden)
    check_core(golden_verification, args.core_before)
    check_recordio(args.golden)
    check_bin(args.golden)
    print(f"{len(failures)} check(s) failed" if failures else 'all checks passed')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
