"""verification.json: insightface's 10-fold verification protocol (FORMATS.md §2b, DESIGN.md
`evaluateVerification`) on synthetic pair distances, every fold's choice recorded.

Per fold: the first threshold of numpy.arange(0, 4, 0.01) that maximises accuracy on the other
nine folds, then accuracy at that threshold on the held-out fold; predicted same when
dist < threshold; folds contiguous like KFold(shuffle=False), the first N mod 10 one longer;
TPR and FPR 0 when their denominator is 0; tpr/fpr averaged over the test folds.
"""
import os

import numpy as np

from common import Rng, golden_dir, write_json

PROTOCOL = ('insightface recognition/arcface_torch/eval/verification.py calculate_roc, 10 folds, '
            'KFold(shuffle=False), predict_same = dist < threshold, first argmax')
FOLDS = 10

# name, N, seed, layout, rounded to 2 decimals. 'halves': every same pair first, so some folds
# hold one class only; 'lfw': 10 blocks of 300 same then 300 different (pairs.txt order);
# 'shuffled': independent labels, 40% same. Rounding to 0.01 puts distances exactly on
# thresholds, where numpy's i*0.01 grid and a naive i/100 grid disagree.
CASES = [
    ('balanced-600-halves', 600, 101, 'halves', False),
    ('lfw-like-6000', 6000, 102, 'lfw', False),
    ('unbalanced-601-40pct', 601, 103, 'shuffled', False),
    ('ties-rounded-1000', 1000, 104, 'shuffled', True),
]


def labels_for(rng, n, layout):
    if layout == 'halves':
        return np.array([i < n // 2 for i in range(n)])
    if layout == 'lfw':
        block = n // FOLDS
        return np.array([(i % block) < block // 2 for i in range(n)])
    return np.array([rng.uniform() < 0.4 for _ in range(n)])


def distances_for(rng, same, rounded):
    # Squared L2 between unit vectors lies in [0, 4]: same pairs near 1.0, different near 1.6.
    dist = []
    for s in same:
        d = (1.0 if s else 1.6) + 0.3 * rng.gauss()
        d = min(max(d, 0.0), 3.99)
        dist.append(round(d, 2) if rounded else d)
    return np.array(dist)


def fold_bounds(n, k):
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    starts = np.cumsum([0] + sizes)
    return [(int(starts[i]), int(starts[i + 1])) for i in range(k)]


def accuracy(threshold, dist, same):
    predict = np.less(dist, threshold)
    tp = np.sum(predict & same)
    fp = np.sum(predict & ~same)
    tn = np.sum(~predict & ~same)
    fn = np.sum(~predict & same)
    tpr = 0.0 if tp + fn == 0 else float(tp) / float(tp + fn)
    fpr = 0.0 if fp + tn == 0 else float(fp) / float(fp + tn)
    return tpr, fpr, float(tp + tn) / dist.size


def evaluate(dist, same, thresholds):
    n = len(dist)
    index = np.arange(n)
    folds, tprs, fprs, accs = [], [], [], []
    for start, end in fold_bounds(n, FOLDS):
        test = index[start:end]
        train = np.setdiff1d(index, test)
        train_acc = np.array([accuracy(t, dist[train], same[train])[2] for t in thresholds])
        best = int(np.argmax(train_acc))
        rates = [accuracy(t, dist[test], same[test]) for t in thresholds]
        tprs.append([r[0] for r in rates])
        fprs.append([r[1] for r in rates])
        test_acc = accuracy(thresholds[best], dist[test], same[test])[2]
        accs.append(test_acc)
        folds.append({
            'train_best_threshold': float(thresholds[best]),
            'best_threshold_index': best,
            'train_accuracy': float(train_acc[best]),
            'test_accuracy': test_acc,
            'test_start': start,
            'test_end': end,
        })
    accs = np.array(accs)
    return {
        'folds': folds,
        'accuracy_mean': float(np.mean(accs)),
        'accuracy_std': float(np.std(accs)),
        'tpr_mean': np.mean(np.array(tprs), axis=0).tolist(),
        'fpr_mean': np.mean(np.array(fprs), axis=0).tolist(),
    }


def generate(root):
    thresholds = np.arange(0, 4, 0.01)
    cases = []
    for name, n, seed, layout, rounded in CASES:
        rng = Rng(seed)
        same = labels_for(rng, n, layout)
        dist = distances_for(rng, same, rounded)
        case = {'name': name, 'N': n, 'seed': seed, 'layout': layout, 'rounded_2dp': rounded,
                'dist': dist.tolist(), 'issame': same.tolist()}
        case.update(evaluate(dist, same, thresholds))
        cases.append(case)
    write_json(os.path.join(golden_dir(root), 'verification.json'),
               {'protocol': PROTOCOL, 'thresholds': thresholds.tolist(), 'cases': cases})
