"""Every attribute of every class equals the right slice of the concatenated variable."""

import pydoc

import keras
import numpy as np
import pytest

import keras_gates
from support import BACKEND, CASE_IDS, CASES, GRU_GATES, LSTM_GATES, expected_slices, randomize


def test_backend_is_the_one_requested():
    import os

    assert keras.backend.backend() == os.environ["KERAS_BACKEND"]
    framework = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy"}
    __import__(framework[BACKEND])  # a missing framework fails here, never skips


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_attribute_is_its_slice_on_layer_and_cell(case):
    layer = case.built()
    expected = expected_slices(layer.cell, case.gates)
    assert len(expected) == (15 if case.gates == GRU_GATES else 12)
    for name, where in expected.items():
        for owner in (layer, layer.cell):
            view = getattr(owner, name)
            if where is None:
                assert view is None, name
                continue
            variable, index = where
            truth = keras.ops.convert_to_numpy(variable)[index]
            assert isinstance(view, keras_gates.GateView), name
            assert view.variable is variable
            assert view.shape == truth.shape
            np.testing.assert_array_equal(np.asarray(view), truth, err_msg=name)
            np.testing.assert_array_equal(
                keras.ops.convert_to_numpy(view.value), truth, err_msg=name)


def test_gates_differ_from_each_other():
    """Guards the test above: with random weights, gate slices must not coincide."""
    layer = CASES[0].built()
    values = [np.asarray(getattr(layer, f"kernel_{g}")) for g in GRU_GATES]
    assert not np.array_equal(values[0], values[1])


def test_gru_bias_rules():
    after = keras.layers.GRU(5)
    after.build((None, 3, 2))
    randomize(after)
    bias = keras.ops.convert_to_numpy(after.cell.bias)
    assert bias.shape == (2, 15)
    np.testing.assert_array_equal(np.asarray(after.bias_z), bias[:, 0:5])
    np.testing.assert_array_equal(np.asarray(after.input_bias_r), bias[0, 5:10])
    np.testing.assert_array_equal(np.asarray(after.recurrent_bias_h), bias[1, 10:15])

    before = keras.layers.GRU(5, reset_after=False)
    before.build((None, 3, 2))
    randomize(before)
    bias = keras.ops.convert_to_numpy(before.cell.bias)
    assert bias.shape == (15,)
    np.testing.assert_array_equal(np.asarray(before.bias_r), bias[5:10])
    np.testing.assert_array_equal(np.asarray(before.input_bias_r), bias[5:10])
    assert before.recurrent_bias_r is None

    none = keras.layers.GRU(5, use_bias=False)
    none.build((None, 3, 2))
    assert [getattr(none, f"{p}_z") for p in ("bias", "input_bias", "recurrent_bias")] == [None] * 3


def test_convlstm2d_kernel_shape():
    layer = keras.layers.ConvLSTM2D(7, (3, 2))
    layer.build((None, 4, 9, 9, 5))
    assert layer.kernel_o.shape == (3, 2, 5, 7)
    assert layer.recurrent_kernel_c.shape == (3, 2, 7, 7)
    assert layer.bias_f.shape == (7,)


def test_rnn_wrapping_a_cell_and_stacked_cells():
    rnn = keras.layers.RNN(keras.layers.GRUCell(3))
    rnn(np.zeros((1, 2, 4), "float32"))
    randomize(rnn)
    kernel = keras.ops.convert_to_numpy(rnn.cell.kernel)
    np.testing.assert_array_equal(np.asarray(rnn.cell.kernel_r), kernel[:, 3:6])

    stacked = keras.layers.RNN([keras.layers.LSTMCell(2), keras.layers.GRUCell(3)])
    stacked(np.zeros((1, 2, 4), "float32"))
    inner = stacked.cell.cells[1]
    np.testing.assert_array_equal(
        np.asarray(inner.recurrent_kernel_h),
        keras.ops.convert_to_numpy(inner.recurrent_kernel)[:, 6:9])


def test_bidirectional_through_forward_and_backward_layers():
    layer = keras.layers.Bidirectional(keras.layers.LSTM(3))
    layer(np.zeros((1, 2, 4), "float32"))
    randomize(layer)
    for side in (layer.forward_layer, layer.backward_layer):
        np.testing.assert_array_equal(
            np.asarray(side.bias_f), keras.ops.convert_to_numpy(side.cell.bias)[3:6])
    assert not np.array_equal(np.asarray(layer.forward_layer.kernel_i),
                              np.asarray(layer.backward_layer.kernel_i))


def test_subclasses_inherit_the_attributes():
    class MyLSTM(keras.layers.LSTM):
        pass

    layer = MyLSTM(2)
    layer.build((None, 3, 4))
    np.testing.assert_array_equal(
        np.asarray(layer.kernel_c), keras.ops.convert_to_numpy(layer.cell.kernel)[:, 4:6])


@pytest.mark.parametrize("cls", [keras.layers.GRU, keras.layers.GRUCell, keras.layers.LSTM,
                                 keras.layers.LSTMCell, keras.layers.ConvLSTM3D])
def test_help_describes_gate_weight_and_slice(cls):
    gates = GRU_GATES if "GRU" in cls.__name__ else LSTM_GATES
    text = pydoc.render_doc(getattr(cls, f"recurrent_kernel_{gates[1]}"), renderer=pydoc.plaintext)
    assert "recurrent kernel" in text
    assert "recurrent_kernel[..., " in text
    meaning = {"r": "reset gate", "f": "forget gate"}[gates[1]]
    assert meaning in text
    for name in (f"kernel_{g}" for g in gates):
        assert name in dir(cls)
