"""Reading a gate as NumPy shares the variable's memory: proved by address and by writes."""

import keras
import numpy as np
import pytest

from support import BACKEND, randomize


def buffer_address(variable) -> int:
    """The address of the variable's storage, asked of the framework itself."""
    storage = variable._value
    if BACKEND == "jax":
        return storage.unsafe_buffer_pointer()
    if BACKEND == "torch":
        return storage.data_ptr()
    if BACKEND == "tensorflow":
        # A read of a resource variable hands out its buffer (two reads agree).
        first = np.asarray(storage.value()).ctypes.data
        assert np.asarray(storage.value()).ctypes.data == first
        return first
    return storage.ctypes.data


def _layer():
    layer = keras.layers.GRU(6)
    layer.build((None, 4, 5))
    randomize(layer)
    return layer


@pytest.mark.parametrize(
    "name,variable,row,column",
    [
        ("kernel_z", "kernel", None, 0), ("kernel_r", "kernel", None, 6),
        ("kernel_h", "kernel", None, 12), ("recurrent_kernel_h", "recurrent_kernel", None, 12),
        ("bias_r", "bias", None, 6), ("input_bias_h", "bias", 0, 12),
        ("recurrent_bias_r", "bias", 1, 6),
    ],
)
@pytest.mark.parametrize("read", ["asarray", "numpy", "eval"])
def test_numpy_read_is_a_view_at_the_slice_address(name, variable, row, column, read):
    layer = _layer()
    var = getattr(layer.cell, variable)
    view = getattr(layer, name)
    array = {"asarray": np.asarray, "numpy": lambda v: v.numpy(), "eval": lambda v: v.eval()}[read](view)
    width = tuple(var.shape)[-1]
    offset = ((row or 0) * width + column) * array.itemsize
    assert array.ctypes.data == buffer_address(var) + offset
    assert array.base is not None  # a view, not an owner of memory
    assert not array.flags.writeable
    np.testing.assert_array_equal(array, keras.ops.convert_to_numpy(var)[..., column:column + 6]
                                  if row is None else keras.ops.convert_to_numpy(var)[row, column:column + 6])


def test_large_read_does_not_copy():
    layer = keras.layers.LSTM(512)
    layer.build((None, 2, 512))
    kernel = layer.cell.kernel
    array = np.asarray(layer.kernel_f)
    assert array.ctypes.data == buffer_address(kernel) + 512 * array.itemsize
    assert array.strides == (4 * 512 * 4, 4)


def test_writes_after_a_read_follow_each_backends_rules():
    """torch and numpy views stay live; TensorFlow and JAX views are snapshots."""
    layer = _layer()
    array = np.asarray(layer.kernel_z)
    old = array.copy()
    layer.kernel_z = old + 1
    np.testing.assert_array_equal(np.asarray(layer.kernel_z), old + 1)  # a new read is current
    if BACKEND in ("torch", "numpy"):
        np.testing.assert_array_equal(array, old + 1)
    else:
        np.testing.assert_array_equal(array, old)


def test_the_copying_ways_are_copies():
    """What we replace: `get_weights()` and (on some backends) `Variable.numpy()` copy."""
    layer = _layer()
    address = buffer_address(layer.cell.kernel)
    assert layer.get_weights()[0].ctypes.data != address
    assert np.asarray(layer.kernel_z).ctypes.data == address
