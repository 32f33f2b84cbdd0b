"""Keras 2 style subclasses keep their own attributes; every other assignment writes data
and changes no weight list, torch parameter or TensorFlow checkpoint dependency."""

import keras
import numpy as np
import pytest

import keras_gates
from support import BACKEND, to_numpy


def _bits(variable):
    return to_numpy(variable).copy()


class OwnWeightCell(keras.layers.LSTMCell):
    """Keras 2 style: per-gate weights of its own, made in build()."""

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel_i = self.add_weight(shape=(input_shape[-1], self.units), name="kernel_i")
        self.bias_i = None


class SlicingCell(keras.layers.GRUCell):
    """Keras 2 style: names for slices of its own kernel."""

    snapshots = []

    def build(self, input_shape):
        super().build(input_shape)
        self.snapshots.append((_bits(self.kernel), _bits(self.recurrent_kernel)))
        self.kernel_z = self.kernel[:, : self.units]
        self.recurrent_kernel_h = self.recurrent_kernel[:, 2 * self.units:]


def test_own_weights_are_kept_per_instance_and_kernel_is_untouched():
    cell = OwnWeightCell(3)
    cell.build((None, 4))
    kernel_before = _bits(cell.kernel)
    assert cell.kernel_i.path.endswith("kernel_i") and isinstance(cell.kernel_i, type(cell.kernel))
    assert cell.bias_i is None
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel", "bias", "kernel_i"]
    np.testing.assert_array_equal(_bits(cell.kernel), kernel_before)
    assert isinstance(cell.kernel_f, keras_gates.GateView)  # untouched gates are still views
    np.testing.assert_array_equal(np.asarray(cell.kernel_f), kernel_before[:, 3:6])
    plain = keras.layers.LSTMCell(3)
    plain.build((None, 4))
    assert isinstance(plain.kernel_i, keras_gates.GateView) and plain.bias_i is not None


def test_slicing_cell_keeps_its_kernel_bit_identical():
    cell = SlicingCell(3)
    cell.build((None, 4))
    kernel, recurrent_kernel = SlicingCell.snapshots[-1]
    np.testing.assert_array_equal(_bits(cell.kernel), kernel)
    np.testing.assert_array_equal(_bits(cell.recurrent_kernel), recurrent_kernel)
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel", "bias"]
    np.testing.assert_array_equal(np.asarray(cell.kernel_z), _bits(cell.kernel)[:, :3])
    assert isinstance(cell.kernel_r, keras_gates.GateView)


def test_an_rnn_with_a_keras2_cell_trains_its_own_weight():
    cell = OwnWeightCell(2)
    layer = keras.layers.RNN(cell)
    layer(np.zeros((1, 3, 4), "float32"))
    assert any(w is cell.kernel_i for w in layer.trainable_weights)


def _value_kinds():
    kinds = ["numpy", "list", "backend_tensor", "keras_variable"]
    if BACKEND == "tensorflow":
        kinds.append("tf_variable")
    if BACKEND == "torch":
        kinds.append("torch_parameter")
    return kinds


def _make_value(kind, array):
    if kind == "numpy":
        return array
    if kind == "list":
        return array.tolist()
    if kind == "backend_tensor":
        return keras.ops.convert_to_tensor(array)
    if kind == "keras_variable":
        return keras.Variable(array)
    if kind == "tf_variable":
        import tensorflow as tf

        return tf.Variable(array)
    import torch

    return torch.nn.Parameter(torch.as_tensor(array))


def _inventory(layer):
    items = {"weights": [id(w) for w in layer.weights],
             "paths": [w.path for w in layer.weights],
             "dict": sorted(k for k in layer.__dict__ if "kernel_" in k or "bias_" in k)}
    if BACKEND == "torch":
        items["params"] = [name for name, _ in layer.named_parameters()]
        items["param_ids"] = [id(p) for p in layer.parameters()]
    if BACKEND == "tensorflow":
        items["deps"] = sorted(layer._trackable_children("checkpoint"))
        items["cell_deps"] = sorted(layer.cell._trackable_children("checkpoint"))
    return items


@pytest.mark.parametrize("built", [True, False], ids=["built", "unbuilt"])
@pytest.mark.parametrize("kind", _value_kinds())
def test_every_value_kind_writes_or_raises_and_tracks_nothing(kind, built):
    layer = keras.layers.LSTM(3)
    if built:
        layer.build((None, 2, 4))
    before = _inventory(layer)
    new = np.arange(12, dtype="float32").reshape(4, 3) / 7
    value = _make_value(kind, new)
    if built:
        kernel = _bits(layer.cell.kernel)
        layer.kernel_c = value
        kernel[:, 6:9] = new
        np.testing.assert_array_equal(_bits(layer.cell.kernel), kernel)
    else:
        with pytest.raises(keras_gates.NotBuiltError, match="not built"):
            layer.kernel_c = value
    assert _inventory(layer) == before


def test_kept_backend_storage_is_not_registered_again():
    cell = keras.layers.GRUCell(2)
    cell.build((None, 3))
    before = _inventory_cell(cell)
    storage = cell.bias._value
    cell.bias_z = storage  # a Keras 2 cell naming its own weight's storage
    assert cell.bias_z is storage
    assert _inventory_cell(cell)["weights"] == before["weights"]
    if BACKEND == "torch":
        assert [n for n, _ in cell.named_parameters()] == before["params"]


def _inventory_cell(cell):
    items = {"weights": [id(w) for w in cell.weights]}
    if BACKEND == "torch":
        items["params"] = [name for name, _ in cell.named_parameters()]
    return items
