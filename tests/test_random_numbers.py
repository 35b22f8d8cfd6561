"""The data sources' seeded numbers: NumPy, and what TensorFlow's stateless ops draw for the same seed."""

import numpy as np
import pytest

from framework.data import random_numbers

SEEDS = [(42, 0), (0, 5), (2**32 - 1, -1), (123456789012, 77), (-3, 1)]


@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_numbers_are_tensorflows_to_the_bit(seed):
    tf = pytest.importorskip("tensorflow")
    for shape, (low, high) in [((1001, 1), (0.0, 1.0)), ((3, 5), (-3.14159, 3.14159))]:
        expected = tf.random.stateless_uniform(shape, seed=tf.constant(seed, tf.int64), minval=low, maxval=high).numpy()
        np.testing.assert_array_equal(random_numbers.uniform(shape, seed, low, high), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_normal_numbers_are_tensorflows_but_for_rounding(seed):
    tf = pytest.importorskip("tensorflow")
    expected = tf.random.stateless_normal((4001,), seed=tf.constant(seed, tf.int64)).numpy()
    drawn = random_numbers.normal((4001,), seed)
    assert drawn.dtype == np.float32
    np.testing.assert_allclose(drawn, expected, rtol=5e-7, atol=1e-7)
    assert np.mean(drawn == expected) > 0.95  # most are identical


@pytest.mark.parametrize("seed", SEEDS)
def test_fold_in_is_tensorflows(seed):
    tf = pytest.importorskip("tensorflow")
    expected = tf.random.experimental.stateless_fold_in(tf.constant(seed, tf.int64), 1).numpy().tolist()
    assert list(random_numbers.fold_in(seed, 1)) == expected


def test_permutations_depend_on_the_seed_pair_alone():
    first = random_numbers.permutation(100, (42, 3))
    np.testing.assert_array_equal(first, random_numbers.permutation(100, (42, 3)))
    np.testing.assert_array_equal(np.sort(first), np.arange(100))
    assert not np.array_equal(first, random_numbers.permutation(100, (42, 4)))
    assert not np.array_equal(first, random_numbers.permutation(100, (43, 3)))
