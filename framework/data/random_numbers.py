"""Seeded random numbers for data sources, in NumPy, the same on every backend.

A data source draws its examples from a seed pair `(seed, stream)`, so a
batch is a pure function of (seed, epoch, step) whichever backend trains on
it. `normal` and `uniform` compute what TensorFlow's stateless ops
(`tf.random.stateless_normal`, `tf.random.stateless_uniform`) compute for the
same seed: the same counter-based generator (Philox-4x32-10, keyed by
TensorFlow's seed scramble) and the same mapping from bits to numbers. The
uniform numbers are identical; for normal numbers the transcendental
functions are evaluated in float64 and rounded, which agrees with
TensorFlow's C library calls except for about one number in seventy, and
those by a few units in the last place (at most 3e-7 relative). So the tutorial's data, and the
numbers it prints, are those of the framework's TensorFlow-only days, and a
JAX run needs no TensorFlow to draw them.

Orders (`permutation`) come from NumPy's own Philox bit generator keyed by
the seed pair.
"""

from __future__ import annotations

import numpy as np

Seed = tuple[int, int]

_MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_KEY_STEPS = (np.uint32(0x9E3779B9), np.uint32(0xBB67AE85))
_LOW_32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
# TensorFlow scrambles a seed pair with one Philox round keyed by these, so both halves matter.
_SCRAMBLE_KEY = (0x3EC8F720, 0x02461E29)
_UINT64 = 0xFFFFFFFFFFFFFFFF


def normal(shape: tuple[int, ...], seed: Seed) -> np.ndarray:
    """Standard normal float32 numbers of `shape`, as tf.random.stateless_normal draws them."""
    count = int(np.prod(shape, dtype=np.int64))
    bits = _bits(seed, -(-count // 4))
    # Box-Muller on pairs of 32-bit words: (x0, x1) -> two numbers, (x2, x3) -> two more.
    radius_uniform = np.maximum(_unit_floats(bits[:, 0::2]), np.float32(1e-7))
    angle = (2.0 * np.pi * _unit_floats(bits[:, 1::2]).astype(np.float64)).astype(np.float32)
    radius = np.sqrt(np.float32(-2.0) * np.log(radius_uniform.astype(np.float64)).astype(np.float32))
    sines = np.sin(angle.astype(np.float64)).astype(np.float32) * radius
    cosines = np.cos(angle.astype(np.float64)).astype(np.float32) * radius
    return np.stack([sines, cosines], axis=-1).reshape(-1)[:count].reshape(shape)


def uniform(shape: tuple[int, ...], seed: Seed, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Float32 numbers uniform in [low, high) of `shape`, as tf.random.stateless_uniform draws them."""
    count = int(np.prod(shape, dtype=np.int64))
    unit = _unit_floats(_bits(seed, -(-count // 4))).reshape(-1)[:count].reshape(shape)
    if (low, high) == (0.0, 1.0):
        return unit
    return unit * (np.float32(high) - np.float32(low)) + np.float32(low)


def fold_in(seed: Seed, data: int) -> Seed:
    """A new seed pair from `seed` and `data`, as tf.random.experimental.stateless_fold_in makes it."""
    # TensorFlow draws one number of `data`'s type, an int32 for a Python int.
    drawn = int(_bits(seed, 1)[0, 0])
    return (drawn - (1 << 32) if drawn >= 1 << 31 else drawn, data)


def permutation(count: int, seed: Seed) -> np.ndarray:
    """A permutation of range(count), int64, drawn from `seed` alone."""
    key = np.array([seed[0] & _UINT64, seed[1] & _UINT64], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=key)).permutation(count)


def _bits(seed: Seed, blocks: int) -> np.ndarray:
    """`blocks` Philox outputs of four 32-bit words for consecutive counters: uint32 [blocks, 4]."""
    first = int(seed[0]) & _UINT64
    second = int(seed[1]) & _UINT64
    scrambled = _philox(np.array([[first & 0xFFFFFFFF, first >> 32, second & 0xFFFFFFFF, second >> 32]], np.uint32), _SCRAMBLE_KEY)[0]
    key = (int(scrambled[0]), int(scrambled[1]))
    # The 128-bit counter starts at (0, 0, s2, s3) and counts up by one per block (no block count comes near 2**64).
    low = np.arange(blocks, dtype=np.uint64)
    counters = np.empty((blocks, 4), np.uint32)
    counters[:, 0] = low & _LOW_32
    counters[:, 1] = low >> _SHIFT
    counters[:, 2] = scrambled[2]
    counters[:, 3] = scrambled[3]
    return _philox(counters, key)


def _philox(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox-4x32-10 of each row of `counters` (uint32 [n, 4]) under `key`."""
    c0, c1, c2, c3 = (counters[:, column].astype(np.uint64) for column in range(4))
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    with np.errstate(over="ignore"):
        for _ in range(10):
            product0, product1 = _MULTIPLIERS[0] * c0, _MULTIPLIERS[1] * c2
            c0, c1, c2, c3 = (
                (product1 >> _SHIFT) ^ c1 ^ np.uint64(k0),
                product1 & _LOW_32,
                (product0 >> _SHIFT) ^ c3 ^ np.uint64(k1),
                product0 & _LOW_32,
            )
            k0, k1 = k0 + _KEY_STEPS[0], k1 + _KEY_STEPS[1]
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


def _unit_floats(words: np.ndarray) -> np.ndarray:
    """Float32 in [0, 1) from the low 23 bits of each word, as TensorFlow maps them."""
    return ((words & np.uint32(0x7FFFFF)) | np.uint32(127 << 23)).view(np.float32) - np.float32(1.0)
