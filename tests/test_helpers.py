"""gates(), layout() and the `python -m keras_gates` command."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gates
from support import BACKEND, randomize

COMMAND = [sys.executable, "-m", "keras_gates"]


def _gru():
    layer = keras.layers.GRU(10)
    layer(np.zeros((1, 8, 15), "float32"))
    return layer


def test_gates_lists_every_attribute_in_weight_order():
    layer = _gru()
    found = keras_gates.gates(layer)
    assert list(found)[:4] == ["kernel_z", "kernel_r", "kernel_h", "recurrent_kernel_z"]
    assert len(found) == 15
    for name, view in found.items():
        np.testing.assert_array_equal(np.asarray(view), np.asarray(getattr(layer, name)))
    assert list(keras_gates.gates(layer.cell)) == list(found)


def test_gates_leaves_out_missing_slices_and_walks_wrappers():
    gru = keras.layers.GRU(3, reset_after=False)
    gru.build((None, 2, 4))
    assert len(keras_gates.gates(gru)) == 12
    assert "recurrent_bias_z" not in keras_gates.gates(gru)
    bi = keras.layers.Bidirectional(keras.layers.LSTM(2, use_bias=False))
    bi.build((None, 2, 4))
    names = list(keras_gates.gates(bi))
    assert names[0] == "forward_layer.kernel_i" and names[-1] == "backward_layer.recurrent_kernel_o"
    assert len(names) == 16


def test_gates_rejects_other_layers():
    with pytest.raises(ValueError, match=r"gates\(\)` expects a GRU, LSTM or ConvLSTM.*Dense"):
        keras_gates.gates(keras.layers.Dense(2))


def test_layout_text_for_a_gru():
    text = str(keras_gates.layout(_gru()))
    assert "get_weights()[0] kernel (15, 30) = [W_z | W_r | W_h]" in text
    assert "get_weights()[1] recurrent_kernel (10, 30) = [U_z | U_r | U_h]" in text
    assert "get_weights()[2] bias (2, 30) = [b_z | b_r | b_h]" in text
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith("    ")}
    assert lines["recurrent_kernel_r"][:3] == ["[:,", "10:20]", "reset"]
    assert lines["recurrent_bias_h"][:2] == ["[1,", "20:30]"]
    assert f"backend: {BACKEND}" in text
    page = keras_gates.layout(_gru())._repr_html_()
    assert page.startswith("<table>") and "<code>recurrent_bias_h</code>" in page
    assert "<code>[1, 20:30]</code>" in page


def test_layout_covers_every_column_once_and_matches_get_weights():
    model = keras.Sequential([
        keras.Input((4, 3)),
        keras.layers.LSTM(5, return_sequences=True),
        keras.layers.Bidirectional(keras.layers.GRU(2)),
        keras.layers.Dense(1),
    ])
    randomize(model)
    weights = model.get_weights()
    layout = keras_gates.layout(model)
    assert len(layout.weights) == len(weights)
    for entry_weight, array in zip(layout, weights):
        assert entry_weight.shape == array.shape
        covered = np.zeros(array.shape, int)
        for entry in entry_weight.entries:
            if entry.symbol:  # a whole gate block (rows of a GRU bias overlap by design)
                covered[entry.index] += 1
            view = eval("model." + entry.attribute, {"model": model})  # noqa: S307
            np.testing.assert_array_equal(np.asarray(view), array[entry.index])
        expected = 1 if entry_weight.entries else 0
        assert (covered == expected).all(), entry_weight.path


def _run(*args, cwd=None):
    return subprocess.run(COMMAND + list(args), capture_output=True, text=True, timeout=300,
                          env=dict(os.environ), cwd=cwd)


def test_cli_example():
    result = _run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"backend: {BACKEND}" in out
    assert "get_weights()[1] recurrent_kernel (10, 30) = [U_z | U_r | U_h]" in out
    assert "gru.kernel_z.shape = (15, 10)" in out
    assert "LSTM 'lstm'" in out and "lstm.bias_f.shape = (6,)" in out


def test_cli_saved_model_with_bidirectional_and_nested_model(tmp_path):
    inner = keras.Sequential([keras.Input((6, 4)), keras.layers.GRU(3, return_sequences=True,
                                                                     name="inner_gru")],
                             name="inner")
    inputs = keras.Input((6, 4))
    x = inner(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(2), name="bi")(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    path = tmp_path / "model.keras"
    model.save(path)
    result = _run(str(path))
    assert result.returncode == 0, result.stderr
    assert "GRU 'inner_gru'" in result.stdout
    assert "Bidirectional 'bi'" in result.stdout
    assert "forward_layer.kernel_f" in result.stdout and "backward_layer.bias_o" in result.stdout


@pytest.mark.parametrize("kind", ["missing", "not_keras", "no_recurrent"])
def test_cli_errors_are_one_line(tmp_path, kind):
    if kind == "missing":
        path = tmp_path / "nope.keras"
        expected = "no such file"
    elif kind == "not_keras":
        path = tmp_path / "junk.keras"
        path.write_text("not a model")
        expected = "could not load"
    else:
        path = tmp_path / "dense.keras"
        keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
        expected = "has no GRU, LSTM or ConvLSTM layer"
    result = _run(str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and expected in error_lines[0], result.stderr
