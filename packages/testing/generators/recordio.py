"""recordio/: a small insightface-layout MXNet RecordIO set (train.rec, train.idx, property)
and expected.json, written as dmlc-core's RecordIOWriter and insightface's builders do
(FORMATS.md §2a).

Six 8×8 greyscale PNG faces in three identities (classes 0, 0, 1, 1, 1, 2), then one identity
record per class, then header0 last. Two image records carry extra bytes holding the magic word
so that the writer must split them: key 2 once, key 4 twice (with a misaligned copy of the
magic that must not split). The tests rely on the byte offsets this gives (parts at 344, 360,
header0 at 1204), so the layout is fixed; the pixels are seeded.
"""
import hashlib
import os
import struct

from common import Rng, golden_dir, write_bytes, write_json
from png import grey_png

SEED = 7
MAGIC = 0xCED7230A
MAGIC_BYTES = struct.pack('<I', MAGIC)
SIZE = 8
CLASSES = [0, 0, 1, 1, 1, 2]
# Bytes appended to an image's PNG (which ends at payload offset 24 + 140 = 164, 4-aligned).
TRAILERS = {
    2: MAGIC_BYTES + b'split!',
    4: b'\x00' + MAGIC_BYTES + b'pq\x00' + MAGIC_BYTES + b'abcdefgh' + MAGIC_BYTES + b'end',
}


def ir_header(flag, label, key, id2=0):
    """struct 'IfQQ': flag u32, label f32, id u64, id2 u64 (24 bytes, little-endian)."""
    return struct.pack('<IfQQ', flag, label, key, id2)


def pack(key, label, image=b''):
    """mx.recordio.pack: a number gives flag 0; a list gives flag = len and the floats after."""
    if isinstance(label, list):
        return ir_header(len(label), 0.0, key) + struct.pack(f'<{len(label)}f', *label) + image
    return ir_header(0, float(label), key) + image


def frame(payload):
    """dmlc RecordIOWriter::WriteRecord: split at every 4-aligned word equal to the magic (the
    word is dropped), cflag 1/2/3 for first/middle/last part, 0 when whole; pad the end to 4."""
    out = bytearray()
    start = 0
    for i in range(0, len(payload) - len(payload) % 4, 4):
        if payload[i:i + 4] == MAGIC_BYTES:
            out += MAGIC_BYTES + struct.pack('<I', ((1 if start == 0 else 2) << 29) | (i - start)) + payload[start:i]
            start = i + 4
    out += MAGIC_BYTES + struct.pack('<I', ((3 if start else 0) << 29) | (len(payload) - start)) + payload[start:]
    out += b'\x00' * (-len(payload) % 4)
    return bytes(out)


def walk_parts(rec):
    parts, at = [], 0
    while at < len(rec):
        magic, lrec = struct.unpack_from('<II', rec, at)
        assert magic == MAGIC
        length = lrec & ((1 << 29) - 1)
        parts.append({'offset': at, 'cflag': lrec >> 29, 'length': length})
        at += 8 + length + (-length % 4)
    return parts


def aligned_magic_count(payload):
    return sum(payload[i:i + 4] == MAGIC_BYTES for i in range(0, len(payload) - 3, 4))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def generate(root):
    rng = Rng(SEED)
    out = os.path.join(golden_dir(root), 'recordio')
    records = []  # (key, payload) in write order
    images = []
    for i, cls in enumerate(CLASSES):
        key = i + 1
        while True:
            pixels = rng.bytes(SIZE * SIZE)
            png = grey_png(SIZE, SIZE, pixels)
            image = png + TRAILERS.get(key, b'')
            payload = pack(key, cls, image)
            # Only the planted words may split a record: redraw pixels that happen to hold one.
            if aligned_magic_count(payload) == aligned_magic_count(pack(key, cls, b'\x00' * len(png) + TRAILERS.get(key, b''))):
                break
        records.append((key, payload))
        images.append({'key': key, 'flag': 0, 'label': float(cls), 'id': key, 'id2': 0,
                       'image_len': len(image), 'png_len': len(png), 'width': SIZE, 'height': SIZE,
                       'sha256': sha256(image), 'pixels_sha256': sha256(pixels),
                       'parts': aligned_magic_count(payload) + 1})
    first_identity = len(CLASSES) + 1
    identities = []
    for cls in sorted(set(CLASSES)):
        key = first_identity + cls
        start = CLASSES.index(cls) + 1
        end = start + CLASSES.count(cls)
        records.append((key, pack(key, [float(start), float(end)])))
        identities.append({'key': key, 'class': cls, 'flag': 2, 'id': key, 'id2': 0, 'range': [start, end], 'parts': 1})
    end_key = first_identity + len(identities)
    records.append((0, pack(0, [float(first_identity), float(end_key)])))

    rec = bytearray()
    idx = []
    for key, payload in records:
        idx.append([key, len(rec)])
        rec += frame(payload)
    rec = bytes(rec)
    parts = walk_parts(rec)
    write_bytes(os.path.join(out, 'train.rec'), rec)
    write_bytes(os.path.join(out, 'train.idx'), ''.join(f'{k}\t{o}\n' for k, o in idx).encode())
    write_bytes(os.path.join(out, 'property'), f'{len(identities)},{SIZE},{SIZE}\n'.encode())
    write_json(os.path.join(out, 'expected.json'), {
        'files': {'rec': 'train.rec', 'idx': 'train.idx', 'property': 'property'},
        'rec_size': len(rec),
        'rec_sha256': sha256(rec),
        'magic': MAGIC,
        'ir_header_format': '<IfQQ (flag, label, id, id2), 24 bytes',
        'header0': {'key': 0, 'flag': 2, 'label': 0.0, 'id': 0, 'id2': 0,
                    'labels': [float(first_identity), float(end_key)], 'parts': 1},
        'images': images,
        'identities': identities,
        'num_images': len(images),
        'num_identities': len(identities),
        'num_logical_records': len(records),
        'num_physical_parts': len(parts),
        'physical_parts': parts,
        'split_record_keys': [i['key'] for i in images if i['parts'] > 1],
        'idx': idx,
    }, indent=1)
