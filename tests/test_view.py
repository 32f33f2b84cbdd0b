"""GateView: its properties, its operators and conversions, and the not-built error."""

import keras
import numpy as np
import pytest

import keras_gates
from support import BACKEND, randomize, to_numpy


@pytest.fixture
def gru():
    layer = keras.layers.GRU(4, name="gru")
    layer.build((None, 2, 3))
    randomize(layer)
    return layer


def test_properties_and_repr(gru):
    view = gru.recurrent_bias_r
    assert view.name == "recurrent_bias_r"
    assert view.gate == "r"
    assert view.shape == (4,)
    assert view.ndim == 1
    assert len(view) == 4
    assert view.dtype == "float32"
    assert view.variable is gru.cell.bias
    assert view.index == (1, slice(4, 8))
    assert view.path == "gru/gru_cell/bias[1, 4:8]"
    text = repr(view)
    assert text.startswith("<GateView recurrent_bias_r = gru/gru_cell/bias[1, 4:8], shape=(4,)")
    assert str(np.asarray(view)) in text


def test_value_is_a_backend_tensor_of_the_slice(gru):
    value = gru.kernel_h.value
    assert keras.ops.is_tensor(value)
    np.testing.assert_array_equal(to_numpy(value), to_numpy(gru.cell.kernel)[:, 8:12])
    np.testing.assert_array_equal(to_numpy(gru.kernel_h[1]), to_numpy(gru.cell.kernel)[1, 8:12])


def test_operators_and_keras_ops(gru):
    kernel = to_numpy(gru.kernel_z).astype("float64")
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(keras.ops.matmul(x, gru.kernel_z)), x @ kernel, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(x @ gru.kernel_z), x @ kernel, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(gru.kernel_z * 2), kernel * 2, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(2 - gru.kernel_z), 2 - kernel, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(gru.kernel_z / 2), kernel / 2, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(gru.kernel_z ** 2), kernel ** 2, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(-gru.kernel_z), -kernel)
    np.testing.assert_allclose(to_numpy(abs(gru.kernel_z)), abs(kernel))
    np.testing.assert_array_equal(to_numpy(gru.kernel_z > 0), kernel > 0)
    np.testing.assert_array_equal(to_numpy(gru.kernel_z == gru.kernel_z), np.ones((3, 4), bool))
    np.testing.assert_allclose(to_numpy(gru.kernel_z + gru.kernel_r),
                               kernel + to_numpy(gru.kernel_r), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(keras.ops.sum(gru.kernel_z)), kernel.sum(), rtol=1e-5)
    with pytest.raises(TypeError, match="boolean"):
        bool(gru.kernel_z)


def test_native_framework_functions_accept_views(gru):
    kernel = to_numpy(gru.kernel_r)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        result = tf.reduce_sum(tf.convert_to_tensor(gru.kernel_r))
    elif BACKEND == "jax":
        import jax.numpy as jnp

        result = jnp.sum(jnp.asarray(gru.kernel_r))
    elif BACKEND == "torch":
        import torch

        result = torch.sum(gru.kernel_r)
    else:
        result = np.sum(gru.kernel_r)
    np.testing.assert_allclose(float(to_numpy(result)), kernel.sum(), rtol=1e-5)


def test_array_protocol_dtype_and_copy(gru):
    as64 = np.asarray(gru.bias_h, dtype="float64")
    assert as64.dtype == np.float64
    np.testing.assert_allclose(as64, to_numpy(gru.cell.bias)[:, 8:12])
    copied = np.array(gru.bias_h)
    assert copied.flags.writeable and copied.flags.owndata
    with pytest.raises(ValueError, match="without a copy"):
        gru.bias_h.__array__(dtype="float64", copy=False)


def test_views_are_current_not_cached(gru):
    view = gru.kernel_z
    gru.cell.kernel.assign(np.zeros((3, 12), "float32"))
    np.testing.assert_array_equal(np.asarray(view), np.zeros((3, 4)))
    gru.cell.kernel.assign(np.ones((3, 12), "float32"))
    np.testing.assert_array_equal(np.asarray(gru.kernel_z), np.ones((3, 4)))


@pytest.mark.parametrize("make,shape_hint", [
    (lambda: keras.layers.GRU(3, name="my_gru"), "layer.build(input_shape)"),
    (lambda: keras.layers.LSTMCell(3, name="my_cell"), "cell.build(input_shape)"),
    (lambda: keras.layers.ConvLSTM2D(3, 2, name="my_conv"), "layer.build(input_shape)"),
])
def test_unbuilt_raises_not_built_error_with_the_real_message(make, shape_hint):
    layer = make()
    attribute = "recurrent_kernel_h" if "GRU" in type(layer).__name__ else "recurrent_kernel_o"
    with pytest.raises(keras_gates.NotBuiltError) as raised:
        getattr(layer, attribute)
    message = str(raised.value)
    assert f"'{layer.name}'" in message and attribute in message and "not built" in message
    assert shape_hint in message
    assert isinstance(raised.value, AttributeError)
    assert not hasattr(layer, attribute)
    with pytest.raises(keras_gates.NotBuiltError):
        setattr(layer, attribute, np.zeros((3, 3)))


def test_other_missing_attributes_keep_their_usual_error():
    layer = keras.layers.GRU(3)
    with pytest.raises(AttributeError, match="no attribute 'not_a_thing'"):
        layer.not_a_thing


def test_no_bias_reads_none_and_dir_lists_attributes():
    layer = keras.layers.LSTM(2, use_bias=False)
    layer.build((None, 2, 3))
    assert layer.bias_i is None and layer.cell.bias_o is None
    names = dir(layer)
    assert {"kernel_i", "recurrent_kernel_o", "bias_f"} <= set(names)


def test_keras2_style_instance_attributes_are_kept():
    class OldCell(keras.layers.GRUCell):
        def build(self, input_shape):
            super().build(input_shape)
            self.kernel_z = self.add_weight(shape=(input_shape[-1], self.units), name="own_z")
            self.bias_r = None

    cell = OldCell(3)
    cell.build((None, 2))
    assert cell.kernel_z.path.endswith("own_z")
    assert cell.bias_r is None
    assert isinstance(cell.kernel_r, keras_gates.GateView)
    assert isinstance(cell.kernel_h, keras_gates.GateView)
