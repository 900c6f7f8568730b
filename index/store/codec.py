"""How vectors are kept in the store: passages in 8 bits, sentences in 4 bits.

A passage vector is its components scaled so the largest is ±127, one byte each, with the
scale: half the bytes of float16 (at 871,563 passages, 335 MB less). Against float16, over the
10,233 BBC passages and 87 reader questions: cosines differ by 0.0003 on average (99th
percentile 0.001), the top 10 of all passages agree on 99.2% of places, the top 1 on all.

Sentence vectors are the store's largest part (3.7 per passage on BBC news). At float16 a
million passages would need 2.8 GB for them alone. Four bits per dimension after a fixed random
rotation (which spreads each vector's energy evenly over the dimensions, so one scale per vector
fits all of them) keep their cosines to a question within 0.005 of the float16 ones on average
(99th percentile 0.016, on 7,000 BBC sentences), at a quarter of the size. The rotation is seeded, so it
needs no training and no stored codebook, and any model dimension works.
"""

import functools
import json
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

LEVELS = 7  # codes -7..7 in a nibble
STEP = 0.4  # quantisation step, in root-mean-square units of the rotated vector (range ±2.8)
_SEED = 20261201


@functools.cache
def _rotation(dim: int) -> "np.ndarray":
    import numpy as np

    matrix = np.random.default_rng(_SEED).standard_normal((dim, dim))
    q, r = np.linalg.qr(matrix)
    return (q * np.sign(np.diag(r))).astype(np.float32)


def pack_passage(vector: "np.ndarray") -> bytes:
    """A float32 scale, then one signed byte per dimension (the largest component at ±127)."""
    import numpy as np

    vector = np.asarray(vector, dtype=np.float32)
    scale = float(np.abs(vector).max()) / 127 or 1.0
    return np.float32(scale).tobytes() + np.rint(vector / scale).astype(np.int8).tobytes()


def unpack_passages(blobs: "list[bytes]", dim: int) -> "np.ndarray":
    import numpy as np

    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    rows = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(-1, 4 + dim)
    scales = rows[:, :4].copy().view(np.float32)
    return rows[:, 4:].view(np.int8).astype(np.float32) * scales


def pack_sentences(vectors: "np.ndarray") -> bytes:
    """n vectors of `dim` floats -> n float32 scales, then n * dim/2 bytes of nibbles."""
    import numpy as np

    if len(vectors) == 0:
        return b""
    rotated = np.asarray(vectors, dtype=np.float32) @ _rotation(vectors.shape[1])
    scales = np.sqrt((rotated**2).mean(axis=1, keepdims=True)) * STEP
    scales[scales == 0] = 1.0
    codes = (np.clip(np.rint(rotated / scales), -LEVELS, LEVELS) + LEVELS).astype(np.uint8)
    if codes.shape[1] % 2:
        codes = np.pad(codes, ((0, 0), (0, 1)), constant_values=LEVELS)
    nibbles = (codes[:, 0::2] << 4) | codes[:, 1::2]
    return scales.astype(np.float32).tobytes() + nibbles.tobytes()


def unpack_sentences(blobs: "list[bytes]", dim: int) -> "list[np.ndarray]":
    """The vectors pack_sentences kept, per blob, rotated back: as the encoder made them."""
    import numpy as np

    vectors, counts = _dequantised(blobs, dim)
    return np.split(vectors @ _rotation(dim).T, np.cumsum(counts)[:-1]) if len(blobs) else []


def stored_sentences(blobs: "list[bytes]", dim: int) -> "list[np.ndarray]":
    """The vectors pack_sentences kept, per blob, still rotated: they compare with a question
    turned by sentence_space (the rotation keeps dot products). Rotating the one question
    instead of a question's ~600 candidate sentences saves a 600 x 384 x 384 product (1.2-2.7 ms
    of every answer)."""
    import numpy as np

    vectors, counts = _dequantised(blobs, dim)
    return np.split(vectors, np.cumsum(counts)[:-1]) if len(blobs) else []


def sentence_space(vector: "np.ndarray") -> "np.ndarray":
    """A vector turned as stored sentence vectors are (stored_sentences)."""
    import numpy as np

    return np.asarray(vector, dtype=np.float32) @ _rotation(len(vector))


def _dequantised(blobs: "list[bytes]", dim: int) -> "tuple[np.ndarray, np.ndarray]":
    """(every blob's vectors in one array, still rotated; how many each blob holds). A
    question's candidates are read together: their codes are gathered from all the blobs at
    once (150 passages' 576 sentences: 1.7 ms with the rotation, a loop over the blobs 2.3-4.7 ms)."""
    import numpy as np

    if not blobs:
        return np.zeros((0, dim), dtype=np.float32), np.zeros(0, dtype=np.int64)
    width = (dim + 1) // 2
    sizes = np.asarray([len(blob) for blob in blobs], dtype=np.int64)
    counts = sizes // (4 + width)
    if np.any(counts * (4 + width) != sizes):
        raise ValueError("sentence vectors of the wrong size")
    joined = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    blob_of = np.repeat(np.arange(len(blobs)), counts)  # each sentence's blob
    begins = (np.cumsum(sizes) - sizes)[blob_of]
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    scale_at = begins + 4 * within
    codes_at = begins + 4 * counts[blob_of] + width * within
    scales = joined[scale_at[:, None] + np.arange(4)].copy().view(np.float32)
    nibbles = joined[codes_at[:, None] + np.arange(width)]
    codes = np.empty((len(nibbles), width * 2), dtype=np.float32)
    codes[:, 0::2] = nibbles >> 4
    codes[:, 1::2] = nibbles & 0x0F
    return (codes[:, :dim] - LEVELS) * scales, counts


def pack_json(value: object) -> bytes:
    """JSON, deflated: an article's dropped furniture is read only by `bot show`; on 182,225
    articles it was 81 MB as text and is 46 MB deflated."""
    return zlib.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def unpack_json(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def pack_text(text: str) -> bytes:
    """A passage's text, deflated: at 871,503 passages the texts took 364 MB and take 232 MB
    deflated, and a question reads about a hundred of them (a few microseconds each)."""
    return zlib.compress(text.encode("utf-8"))


def unpack_text(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")
