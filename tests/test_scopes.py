"""Mixed precision, stateless scopes, gradients and traced code."""

import keras
import numpy as np
import pytest

import keras_gates
from support import BACKEND, randomize, to_numpy


def _autocast_scope(dtype):
    # Keras enters this scope around a mixed-precision layer's call(); a custom
    # layer's call() that writes a gate runs inside it.
    from keras.src.backend.common.variables import AutocastScope

    return AutocastScope(dtype)


def _raw(variable):
    return np.array(keras.ops.convert_to_numpy(variable._value))


@pytest.mark.parametrize("policy,compute", [("mixed_float16", "float16"),
                                            ("mixed_bfloat16", "bfloat16")])
@pytest.mark.parametrize("form", ["assign", "setattr", "setitem"])
def test_mixed_precision_write_is_exact_float32(policy, compute, form):
    layer = keras.layers.LSTM(3, dtype=policy)
    layer.build((None, 2, 4))
    randomize(layer)
    kernel = _raw(layer.cell.kernel)
    assert kernel.dtype == np.float32
    new = (np.arange(12, dtype="float32").reshape(4, 3) + 1) / 3  # not representable in 16 bits
    with _autocast_scope(compute):
        assert layer.cell.kernel.dtype == compute  # Keras reports the autocast dtype here
        if form == "assign":
            layer.kernel_f.assign(new)
        elif form == "setattr":
            layer.kernel_f = new
        else:
            layer.kernel_f[...] = new
    kernel[:, 3:6] = new
    np.testing.assert_array_equal(_raw(layer.cell.kernel), kernel)  # bit-exact, every gate
    assert layer.kernel_f.dtype == "float32"
    assert np.asarray(layer.kernel_f).dtype == np.float32


def test_reads_inside_autocast_follow_keras():
    layer = keras.layers.GRU(2, dtype="mixed_float16")
    layer.build((None, 2, 3))
    with _autocast_scope("float16"):
        assert layer.kernel_z.dtype == "float16"
        assert keras.backend.standardize_dtype(layer.kernel_z.value.dtype) == "float16"
        assert np.asarray(layer.kernel_z).dtype == np.float32  # NumPy reads the storage
    assert layer.kernel_z.dtype == "float32"


def test_stateless_scope_reads_its_value_and_records_writes():
    layer = keras.layers.GRU(2)
    layer.build((None, 2, 3))
    kernel = layer.cell.kernel
    real = _raw(kernel)
    replacement = np.full((3, 6), 7.0, "float32")
    with keras.StatelessScope(state_mapping=[(kernel, replacement)]) as scope:
        np.testing.assert_array_equal(np.asarray(layer.kernel_r), replacement[:, 2:4])
        np.testing.assert_array_equal(to_numpy(layer.kernel_r.value), replacement[:, 2:4])
        layer.kernel_h = np.ones((3, 2), "float32")
        recorded = to_numpy(scope.get_current_value(kernel))
    expected = replacement.copy()
    expected[:, 4:6] = 1.0
    np.testing.assert_array_equal(recorded, expected)
    np.testing.assert_array_equal(_raw(kernel), real)  # the real variable is untouched


def _loss_grad(layer):
    """d(sum(recurrent_kernel_f ** 2)) / d(recurrent_kernel), natively per backend."""
    variable = layer.cell.recurrent_kernel
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer.recurrent_kernel_f.value ** 2)
        return tape.gradient(loss, variable.value).numpy()
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        def loss(value):
            with keras.StatelessScope(state_mapping=[(variable, value)]):
                return jnp.sum(layer.recurrent_kernel_f.value ** 2)

        return np.asarray(jax.grad(loss)(variable.value))
    parameter = variable.value
    parameter.grad = None
    (layer.recurrent_kernel_f.value ** 2).sum().backward()
    return parameter.grad.numpy()


@pytest.mark.trains
def test_value_is_differentiable_with_gradient_only_in_its_gate():
    layer = keras.layers.LSTM(3)
    layer.build((None, 2, 4))
    randomize(layer)
    grad = _loss_grad(layer)
    expected = np.zeros((3, 12), "float32")
    expected[:, 3:6] = 2 * np.asarray(layer.recurrent_kernel_f)
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


if BACKEND == "torch":  # torch version counters

    def test_torch_write_bumps_the_version_counter():
        layer = keras.layers.GRU(2)
        layer.build((None, 2, 3))
        parameter = layer.cell.kernel.value
        version = parameter._version
        layer.kernel_z = np.zeros((3, 2))
        assert parameter._version > version
        assert layer.cell.kernel.value is parameter  # written in place, not replaced


if BACKEND == "jax":  # jax.jit tracing

    def test_write_under_jax_jit_raises_and_leaves_the_variable_alone():
        import jax

        layer = keras.layers.GRU(2)
        layer.build((None, 2, 3))
        before = _raw(layer.cell.kernel)

        @jax.jit
        def write(value):
            layer.kernel_z = value
            return value

        with pytest.raises(RuntimeError, match="kernel_z.*traced JAX function"):
            write(np.ones((3, 2), "float32"))
        assert not isinstance(layer.cell.kernel._value, jax.core.Tracer)
        np.testing.assert_array_equal(_raw(layer.cell.kernel), before)

        @jax.jit
        def recorded(kernel_value, new):
            with keras.StatelessScope(state_mapping=[(layer.cell.kernel, kernel_value)]) as scope:
                layer.kernel_z = new
                return scope.get_current_value(layer.cell.kernel)

        result = recorded(layer.cell.kernel.value, np.ones((3, 2), "float32"))
        np.testing.assert_array_equal(np.asarray(result)[:, 0:2], np.ones((3, 2)))
        np.testing.assert_array_equal(_raw(layer.cell.kernel), before)


if BACKEND == "tensorflow":  # tf.function graphs

    def test_write_inside_tf_function_is_a_graph_op():
        import tensorflow as tf

        layer = keras.layers.GRU(2)
        layer.build((None, 2, 3))

        @tf.function
        def write(value):
            layer.kernel_r = value

        write(tf.ones((3, 2)))
        np.testing.assert_array_equal(np.asarray(layer.kernel_r), np.ones((3, 2)))
        assert isinstance(layer.kernel_r, keras_gates.GateView)
