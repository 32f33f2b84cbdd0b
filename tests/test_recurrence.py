"""NumPy re-implementations that use only the gate attributes reproduce each layer.

If any gate were mislabelled (z for r, f for i, ...), these outputs would differ.
"""

import keras
import numpy as np
import pytest

from support import CASE_IDS, CASES, conv_same, gru_numpy, lstm_numpy, randomize, to_numpy


def _oracle(layer, x):
    if isinstance(layer, keras.layers.GRU):
        return gru_numpy(layer, x)
    if isinstance(layer, keras.layers.LSTM):
        return lstm_numpy(layer, x)
    return lstm_numpy(layer, x, project=conv_same)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_numpy_recurrence_from_gate_attributes_matches_layer(case):
    layer = case.make()
    layer.return_sequences = True
    x = np.random.default_rng(1).normal(size=case.input_shape).astype("float32")
    layer(x)
    for seed in (0, 1):  # two different weight draws, so a lucky match is impossible
        randomize(layer, seed)
        expected = to_numpy(layer(x))
        np.testing.assert_allclose(_oracle(layer, x), expected, rtol=2e-4, atol=2e-5)


def test_swapping_two_gates_breaks_the_oracle():
    """The oracle is sensitive to gate order: writing z into r must change the output."""
    layer = keras.layers.GRU(4, return_sequences=True)
    x = np.random.default_rng(2).normal(size=(2, 5, 3)).astype("float32")
    layer(x)
    randomize(layer, 3)
    z = np.array(layer.kernel_z)
    layer.kernel_z = np.array(layer.kernel_r)
    layer.kernel_r = z
    swapped = to_numpy(layer(x))
    layer.kernel_r = np.array(layer.kernel_z)
    layer.kernel_z = z
    assert not np.allclose(swapped, to_numpy(layer(x)), atol=1e-3)
    np.testing.assert_allclose(gru_numpy(layer, x), to_numpy(layer(x)), rtol=2e-4, atol=2e-5)
