"""What every fixture generator shares: a seeded random source that gives the same numbers on
every platform, and one way of writing JSON, so that regenerating a file gives the same bytes.

Inputs (embeddings, distances, pixels) come from SplitMix64 and exact float64 arithmetic only:
no libm call, no numpy stream whose algorithm may change between releases. Outputs computed
from them go through numpy/torch and may differ in the last bit between machines (libm, SIMD
paths); check.py allows for that and says so.
"""
import json
import os

MASK64 = (1 << 64) - 1


class Rng:
    """SplitMix64 (Steele, Lea and Flood 2014): a 64-bit state stepped by the golden-ratio
    constant, then mixed. Small, fast enough in Python for fixtures, and trivially portable."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self, low=0.0, high=1.0):
        """A double in [low, high): the top 53 bits of a draw, scaled exactly."""
        return low + (high - low) * ((self.u64() >> 11) * 2.0 ** -53)

    def gauss(self):
        """Approximately N(0, 1): the sum of 12 uniforms minus 6 (Irwin-Hall). Bounded by ±6,
        made of exact additions only, so it is the same double everywhere."""
        return sum(self.uniform() for _ in range(12)) - 6.0

    def below(self, n):
        """An integer in [0, n); the modulo bias is below 2^-50 for the n used here."""
        return self.u64() % n

    def bytes(self, n):
        return bytes(self.u64() & 0xFF for _ in range(n))


def write_json(path, value, indent=None):
    """Compact JSON (or indented for small files people read), floats as Python's shortest
    round-trip repr, keys in the order the generator built them, one trailing newline."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    separators = (',', ':') if indent is None else (',', ': ')
    text = json.dumps(value, indent=indent, separators=separators, allow_nan=False, ensure_ascii=False)
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text + '\n')


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def golden_dir(root):
    """Where the shared test fixtures live below a repository root (or a scratch copy of one)."""
    return os.path.join(root, 'packages', 'testing', 'fixtures', 'golden')


def core_fixture_dir(root):
    return os.path.join(root, 'packages', 'core', 'test', 'fixtures')
