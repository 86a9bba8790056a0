"""bin/: a verification set in insightface's `.bin` format (FORMATS.md §2b), the pickle of
(bins, issame_list), twice: as Python 2's cPickle wrote the released files (protocol 2, images
as py2 `str`) and as Python 3 writes it (protocol 4, bytes), plus expected.json.

Python 3 cannot write the py2 form (it pickles bytes through _codecs.encode under protocol 2),
so `py2_pickle` emits the opcodes itself: PROTO 2; EMPTY_LIST; items in batches of 1000 between
MARK and APPENDS; SHORT_BINSTRING under 256 bytes, BINSTRING otherwise; NEWTRUE/NEWFALSE;
TUPLE2; STOP; every list, string and the tuple memoised with BINPUT/LONG_BINPUT, counting from
1 as cPickle does (pickle.py counts from 0).

1100 pairs of 8×8 greyscale PNGs, every fifth image 16×16 (so BINSTRING occurs), and the first
three padded to 255, 256 and 254 bytes around the SHORT_BINSTRING limit.
"""
import collections
import hashlib
import os
import pickle
import pickletools
import struct

from common import Rng, golden_dir, write_bytes, write_json
from png import grey_png, png_size

SEED = 11
PAIRS = 1100
BATCH = 1000
EXACT_SIZES = [255, 256, 254]


def py2_pickle(bins, issame):
    out = bytearray(b'\x80\x02')
    memo = 0

    def put():
        nonlocal memo
        memo += 1
        out.extend(b'q' + bytes([memo]) if memo < 256 else b'r' + struct.pack('<I', memo))

    def batched(items, write):
        for i in range(0, len(items), BATCH):
            batch = items[i:i + BATCH]
            if len(batch) == 1:
                write(batch[0])
                out.extend(b'a')
            else:
                out.extend(b'(')
                for item in batch:
                    write(item)
                out.extend(b'e')

    def write_string(data):
        out.extend(b'U' + bytes([len(data)]) if len(data) < 256 else b'T' + struct.pack('<I', len(data)))
        out.extend(data)
        put()

    def write_bool(flag):
        out.extend(b'\x88' if flag else b'\x89')

    out.extend(b']')
    put()
    batched(bins, write_string)
    out.extend(b']')
    put()
    batched(issame, write_bool)
    out.extend(b'\x86')
    put()
    out.extend(b'.')
    return bytes(out), memo


def make_images(rng):
    images, sizes = [], []
    for i in range(2 * PAIRS):
        size = 16 if i % 5 == 4 else 8
        comment = None
        if i < len(EXACT_SIZES):
            comment = EXACT_SIZES[i] - png_size(size, size, 0)
        images.append(grey_png(size, size, rng.bytes(size * size), comment))
        sizes.append(size)
    return images, sizes


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def generate(root):
    rng = Rng(SEED)
    out = os.path.join(golden_dir(root), 'bin')
    images, sizes = make_images(rng)
    issame = [rng.uniform() < 0.5 for _ in range(PAIRS)]
    py2, memo_last = py2_pickle(images, issame)
    py3 = pickle.dumps((images, issame), protocol=4)
    # Both must read back as the same data (py2 str -> bytes with encoding='bytes').
    assert pickle.loads(py2, encoding='bytes') == (images, issame)
    assert pickle.loads(py3) == (images, issame)
    counts = collections.Counter(op.name for op, _, _ in pickletools.genops(py2))
    write_bytes(os.path.join(out, 'verify_py2.bin'), py2)
    write_bytes(os.path.join(out, 'verify_py3.bin'), py3)
    write_json(os.path.join(out, 'expected.json'), {
        'N': PAIRS,
        'num_images': len(images),
        'issame': issame,
        'files': {'py2': 'verify_py2.bin', 'py3': 'verify_py3.bin'},
        'py2_sha256': sha256(py2),
        'py3_sha256': sha256(py3),
        'py2_memo_last': memo_last,
        'py2_opcode_counts': dict(sorted(counts.items())),
        'image_len': [len(b) for b in images],
        'image_size': sizes,
        'sha256': [sha256(b) for b in images],
    })
