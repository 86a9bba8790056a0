"""Writes every test fixture below a repository root (by default this repository's):
packages/testing/fixtures/golden/** and packages/core/test/fixtures/*.json.

    /usr/bin/python3 packages/testing/generators/generate.py [--root DIR]

Needs Python 3 with numpy and torch (Debian: python3-numpy python3-torch)."""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import losses  # noqa: E402
import margins  # noqa: E402
import recordio  # noqa: E402
import tar_at_far  # noqa: E402
import umeyama  # noqa: E402
import verification  # noqa: E402
import verification_bin  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))

# verification before tar_at_far, which reads its distances.
GENERATORS = [margins, losses, verification, tar_at_far, umeyama, recordio, verification_bin]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', default=REPO, help='repository root to write below (default: this repository)')
    args = parser.parse_args()
    for generator in GENERATORS:
        generator.generate(args.root)
        print(f'{generator.__name__}: written', file=sys.stderr)


if __name__ == '__main__':
    main()
