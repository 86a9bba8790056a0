"""Tiny 8-bit greyscale PNGs with an uncompressed (stored) deflate block: the bytes depend on
the pixels alone, never on a zlib version's compression choices."""
import struct
import zlib

SIGNATURE = b'\x89PNG\r\n\x1a\n'


def chunk(kind, data):
    body = kind + data
    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xFFFFFFFF)


def stored_zlib(raw):
    """A zlib stream of one final stored block (RFC 1950/1951): header 78 01, then
    BFINAL=1/BTYPE=00, LEN, ~LEN, the bytes, and the Adler-32 of the bytes."""
    assert len(raw) < 65536
    block = b'\x01' + struct.pack('<HH', len(raw), len(raw) ^ 0xFFFF) + raw
    return b'\x78\x01' + block + struct.pack('>I', zlib.adler32(raw) & 0xFFFFFFFF)


def grey_png(width, height, pixels, comment_len=None):
    """`pixels` row-major, width*height bytes. `comment_len` adds a tEXt chunk whose text is
    that many 'x' (used to make a file an exact size)."""
    assert len(pixels) == width * height
    raw = b''.join(b'\x00' + pixels[y * width:(y + 1) * width] for y in range(height))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    parts = [SIGNATURE, chunk(b'IHDR', ihdr)]
    if comment_len is not None:
        parts.append(chunk(b'tEXt', b'Comment\x00' + b'x' * comment_len))
    parts += [chunk(b'IDAT', stored_zlib(raw)), chunk(b'IEND', b'')]
    return b''.join(parts)


def png_size(width, height, comment_len=None):
    """The byte length grey_png gives, without making it."""
    size = 8 + 25 + 12 + (2 + 5 + height * (width + 1) + 4) + 12
    return size if comment_len is None else size + 12 + 8 + comment_len
