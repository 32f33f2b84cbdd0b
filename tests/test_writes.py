"""Every write form changes exactly its slice; bad input changes nothing."""

import keras
import numpy as np
import pytest

from support import CASE_IDS, CASES, expected_slices, to_numpy


def _snapshot(cell):
    return {name: to_numpy(getattr(cell, name)).copy()
            for name in ("kernel", "recurrent_kernel", "bias") if getattr(cell, name) is not None}


def _write(form, layer, name, new):
    if form == "assign":
        getattr(layer, name).assign(new)
    elif form == "setattr":
        setattr(layer, name, new)
    elif form == "setitem":
        getattr(layer, name)[...] = new
    elif form == "iadd":
        delta = new - np.asarray(getattr(layer, name))
        view_sum = getattr(layer, name)
        view_sum += delta  # rebinding alone must not write ...
        setattr(layer, name, view_sum)  # ... the attribute assignment does, as in `layer.x += d`
    elif form == "cell":
        setattr(layer.cell, name, new)


FORMS = ["assign", "setattr", "setitem", "iadd", "cell"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_write_touches_only_its_slice(case, form):
    layer = case.built()
    rng = np.random.default_rng(7)
    for name, where in expected_slices(layer.cell, case.gates).items():
        if where is None:
            continue
        variable, index = where
        before = _snapshot(layer.cell)
        new = rng.normal(size=getattr(layer, name).shape).astype("float32")
        _write(form, layer, name, new)
        after = _snapshot(layer.cell)
        target = variable.name
        expected = before[target].copy()
        expected[index] = new
        np.testing.assert_allclose(after[target], expected, rtol=1e-6, atol=1e-6, err_msg=name)
        if form != "iadd":  # the sum may round; plain writes are exact
            np.testing.assert_array_equal(after[target][index], new, err_msg=name)
        for other in set(before) - {target}:
            np.testing.assert_array_equal(after[other], before[other], err_msg=f"{name}/{other}")


def test_layer_plus_equals_adds_to_one_gate():
    layer = keras.layers.LSTM(3)
    layer.build((None, 2, 4))
    kernel = to_numpy(layer.cell.kernel).copy()
    layer.kernel_f += 1
    kernel[:, 3:6] += 1
    np.testing.assert_allclose(to_numpy(layer.cell.kernel), kernel, rtol=1e-6)


def test_partial_setitem_and_scalar_fill():
    layer = keras.layers.GRU(4)
    layer.build((None, 2, 3))
    bias = to_numpy(layer.cell.bias).copy()
    layer.recurrent_bias_r[1:3] = 5.0
    layer.input_bias_h.assign(-1.0)
    bias[1, 5:7] = 5.0
    bias[0, 8:12] = -1.0
    np.testing.assert_array_equal(to_numpy(layer.cell.bias), bias)


def test_write_from_backend_tensor_and_other_view():
    a = keras.layers.LSTM(2)
    b = keras.layers.LSTM(2)
    a.build((None, 3, 4))
    b.build((None, 3, 4))
    a.kernel_o = b.kernel_o
    np.testing.assert_array_equal(np.asarray(a.kernel_o), np.asarray(b.kernel_o))
    a.bias_i = keras.ops.ones((2,), dtype="float64")
    np.testing.assert_array_equal(np.asarray(a.bias_i), np.ones(2, "float32"))
    assert np.asarray(a.bias_i).dtype == np.float32


BAD = [
    (np.zeros((3, 5)), ValueError, ["kernel_z", "(3, 4)", "value.shape=(3, 5)"]),
    (np.zeros((4, 3)), ValueError, ["kernel_z", "(3, 4)", "value.shape=(4, 3)"]),
    ("abc", TypeError, ["kernel_z", "value.dtype="]),
    ([[1, 2], [3]], TypeError, ["kernel_z", "not convertible"]),
    (object(), TypeError, ["kernel_z", "value.dtype=object"]),
    (np.array([["a"] * 4] * 3), TypeError, ["kernel_z", "value.dtype=<U1"]),
]


@pytest.mark.parametrize("form", ["assign", "setattr", "setitem", "cell"])
@pytest.mark.parametrize("value,error,words", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_values_raise_and_change_nothing(form, value, error, words):
    layer = keras.layers.GRU(4)
    layer.build((None, 2, 3))
    before = _snapshot(layer.cell)
    with pytest.raises(error) as raised:
        _write(form, layer, "kernel_z", value)
    message = str(raised.value)
    for word in words if form != "setitem" else words[:1]:
        assert word in message, message
    after = _snapshot(layer.cell)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_missing_slice_cannot_be_written():
    layer = keras.layers.GRU(4, reset_after=False)
    layer.build((None, 2, 3))
    with pytest.raises(ValueError, match="recurrent_bias_z"):
        layer.recurrent_bias_z = np.zeros(4)
