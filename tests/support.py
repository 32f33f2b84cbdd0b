"""Layers under test, an independent statement of Keras's gate layout, and NumPy oracles.

Nothing here uses keras_gates' own table: the expected slices are written out
from Keras's source (gru.py, lstm.py, conv_lstm.py) so that an ordering mistake
in the library cannot also hide in the tests.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Callable

import keras
import numpy as np

import keras_gates  # noqa: F401  (installs the attributes)

BACKEND = keras.backend.backend()
GRU_GATES = ("z", "r", "h")
LSTM_GATES = ("i", "f", "c", "o")


@dataclasses.dataclass
class Case:
    id: str
    make: Callable[[], keras.layers.Layer]
    input_shape: tuple
    gates: tuple

    def built(self, seed: int = 0):
        """The layer, built and called once, with random non-zero weights."""
        layer = self.make()
        layer(np.zeros(self.input_shape, "float32"))
        randomize(layer, seed)
        return layer


def randomize(layer, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


CASES = [
    Case("GRU", lambda: keras.layers.GRU(4), (2, 5, 3), GRU_GATES),
    Case("GRU-reset_before", lambda: keras.layers.GRU(4, reset_after=False), (2, 5, 3), GRU_GATES),
    Case("GRU-no_bias", lambda: keras.layers.GRU(4, use_bias=False), (2, 5, 3), GRU_GATES),
    Case("LSTM", lambda: keras.layers.LSTM(4), (2, 5, 3), LSTM_GATES),
    Case("LSTM-no_bias", lambda: keras.layers.LSTM(4, use_bias=False), (2, 5, 3), LSTM_GATES),
    Case("ConvLSTM1D", lambda: keras.layers.ConvLSTM1D(3, 3, padding="same"), (2, 4, 6, 2),
         LSTM_GATES),
    Case("ConvLSTM2D", lambda: keras.layers.ConvLSTM2D(3, (3, 2), padding="same"),
         (2, 3, 5, 4, 2), LSTM_GATES),
    Case("ConvLSTM3D", lambda: keras.layers.ConvLSTM3D(2, 2, padding="same"),
         (1, 2, 3, 4, 3, 2), LSTM_GATES),
]
CASE_IDS = [case.id for case in CASES]


def expected_slices(cell, gates: tuple) -> dict:
    """Attribute name -> (variable, NumPy index), or None where Keras has no such slice."""
    result = {}
    count = len(gates)
    for prefix in ("kernel", "recurrent_kernel", "bias", "input_bias", "recurrent_bias"):
        if gates != GRU_GATES and prefix in ("input_bias", "recurrent_bias"):
            continue
        variable = getattr(cell, "bias" if "bias" in prefix else prefix)
        for position, gate in enumerate(gates):
            name = f"{prefix}_{gate}"
            if variable is None:
                result[name] = None
                continue
            shape = tuple(variable.shape)
            units = shape[-1] // count
            columns = slice(position * units, (position + 1) * units)
            if prefix in ("kernel", "recurrent_kernel", "bias"):
                index = (Ellipsis, columns)
            elif len(shape) == 2:  # GRU reset_after=True: row 0 input, row 1 recurrent
                index = (0 if prefix == "input_bias" else 1, columns)
            else:  # reset_after=False: a 1-D input-only bias
                index = (columns,) if prefix == "input_bias" else None
            result[name] = None if index is None else (variable, index)
    return result


def to_numpy(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def gate(layer, name):
    """A gate attribute as float64 NumPy, or 0.0 for a missing bias."""
    view = getattr(layer, name)
    return 0.0 if view is None else np.asarray(view, dtype="float64")


def gru_numpy(layer, x: np.ndarray) -> np.ndarray:
    """GRU over x (batch, time, features), written with gate attributes only."""
    h = np.zeros((x.shape[0], layer.units))
    outputs = []
    for t in range(x.shape[1]):
        xt = x[:, t].astype("float64")
        z = sigmoid(xt @ gate(layer, "kernel_z") + gate(layer, "input_bias_z")
                    + h @ gate(layer, "recurrent_kernel_z") + gate(layer, "recurrent_bias_z"))
        r = sigmoid(xt @ gate(layer, "kernel_r") + gate(layer, "input_bias_r")
                    + h @ gate(layer, "recurrent_kernel_r") + gate(layer, "recurrent_bias_r"))
        if layer.reset_after:
            inner = r * (h @ gate(layer, "recurrent_kernel_h") + gate(layer, "recurrent_bias_h"))
        else:
            inner = (r * h) @ gate(layer, "recurrent_kernel_h")
        candidate = np.tanh(xt @ gate(layer, "kernel_h") + gate(layer, "input_bias_h") + inner)
        h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1)


def lstm_numpy(layer, x: np.ndarray, project=None) -> np.ndarray:
    """LSTM (or ConvLSTM, with `project` a convolution) written with gate attributes only."""
    project = project or (lambda inputs, weights: inputs @ weights)
    state_shape = project(x[:, 0].astype("float64"), gate(layer, "kernel_i")).shape
    h = np.zeros(state_shape)
    c = np.zeros(state_shape)
    outputs = []
    for t in range(x.shape[1]):
        xt = x[:, t].astype("float64")

        def pre(g):
            return (project(xt, gate(layer, f"kernel_{g}")) + gate(layer, f"bias_{g}")
                    + project(h, gate(layer, f"recurrent_kernel_{g}")))

        i, f, o = sigmoid(pre("i")), sigmoid(pre("f")), sigmoid(pre("o"))
        c = f * c + i * np.tanh(pre("c"))
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def conv_same(inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Keras 'same' convolution (channels last, stride 1), by summing shifted products."""
    kernel = weights.shape[:-2]
    pads = [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel]
    padded = np.pad(inputs, [(0, 0)] + pads + [(0, 0)])
    spatial = inputs.shape[1:-1]
    out = np.zeros(inputs.shape[:1] + spatial + weights.shape[-1:])
    for offset in itertools.product(*(range(k) for k in kernel)):
        window = padded[(slice(None),) + tuple(slice(o, o + n) for o, n in zip(offset, spatial))]
        out += window @ weights[offset]
    return out
