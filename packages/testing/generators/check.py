"""Regenerates every fixture into a scratch folder and compares it with the committed files.

    /usr/bin/python3 packages/testing/generators/check.py      (or: pnpm fixtures:check)

Binary files and JSON must be byte-identical, with one allowance: a JSON number computed
through libm or a SIMD path (sin, acos, exp, SVD) may differ in its last bits between
machines. Where the bytes differ, the two JSON documents must still be equal in structure, in
every string, integer and boolean, and in every float to 1e-12 relative; such a file passes
with a note. Exit status 1 on any real difference, naming the file and the first place.
"""
import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import generate  # noqa: E402

FIXTURE_DIRS = [os.path.join('packages', 'testing', 'fixtures'), os.path.join('packages', 'core', 'test', 'fixtures')]
RELATIVE = 1e-12


def files_below(root):
    found = set()
    for base in FIXTURE_DIRS:
        for folder, _, names in os.walk(os.path.join(root, base)):
            for name in names:
                found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def first_difference(a, b, where='$'):
    """The path of the first real difference between two JSON values, or None."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return None if a == b and type(a) is type(b) else where
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int):
            return None if a == b else where
        if type(a) is not type(b):
            return where
        return None if abs(a - b) <= RELATIVE * max(abs(a), abs(b)) else where
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f'{where} (length {len(a)} vs {len(b)})'
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f'{where}[{i}]')
            if d:
                return d
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f'{where} (keys {list(a)} vs {list(b)})'
        for k in a:
            d = first_difference(a[k], b[k], f'{where}.{k}')
            if d:
                return d
        return None
    return where


def compare(repo, scratch):
    committed, made = files_below(repo), files_below(scratch)
    problems, notes = [], []
    for path in sorted(committed - made):
        problems.append(f'{path}: committed but no generator makes it')
    for path in sorted(made - committed):
        problems.append(f'{path}: generated but not committed')
    for path in sorted(committed & made):
        with open(os.path.join(repo, path), 'rb') as f:
            ours = f.read()
        with open(os.path.join(scratch, path), 'rb') as f:
            fresh = f.read()
        if ours == fresh:
            continue
        if not path.endswith('.json'):
            problems.append(f'{path}: bytes differ')
            continue
        where = first_difference(json.loads(ours), json.loads(fresh))
        if where:
            problems.append(f'{path}: differs at {where}')
        else:
            notes.append(f'{path}: not byte-identical, but equal to {RELATIVE:g} relative in every float')
    return sorted(committed & made), problems, notes


def main():
    repo = generate.REPO
    scratch = tempfile.mkdtemp(prefix='arcface-fixtures-')
    try:
        for generator in generate.GENERATORS:
            generator.generate(scratch)
        checked, problems, notes = compare(repo, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for note in notes:
        print(f'note: {note}')
    for problem in problems:
        print(f'error: {problem}')
    if problems:
        print('The committed fixtures are not what the generators make. Regenerate them with '
              'packages/testing/generators/generate.py and review the diff.')
        sys.exit(1)
    print(f'fixtures: {len(checked)} files are what packages/testing/generators make')


if __name__ == '__main__':
    main()
