"""Pictures render to non-trivial PNGs; the CLI traces and plots a saved model."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gates
from support import randomize


def _png_is_a_picture(path):
    from matplotlib.image import imread

    image = imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 300
    colours = np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 100, len(colours)  # heatmaps, not a blank canvas
    assert image[..., :3].std() > 0.05


def _gru():
    layer = keras.layers.GRU(6, return_sequences=True, name="g")
    x = np.random.default_rng(0).normal(size=(2, 7, 4)).astype("float32")
    layer(x)
    randomize(layer)
    return layer, x


def test_plot_weights_and_trace_render(tmp_path):
    from matplotlib.figure import Figure

    layer, x = _gru()
    figure = keras_gates.plot_weights(layer)
    assert isinstance(figure, Figure)
    titles = " ".join(axes.get_title() for axes in figure.axes)
    for name in ("kernel_z", "kernel_h", "recurrent_kernel_r", "eigenvalues"):
        assert name in titles
    heatmaps = [axes.images[0] for axes in figure.axes if axes.images]
    assert len(heatmaps) == 6 and len({im.get_clim() for im in heatmaps}) == 1  # one shared scale
    low, high = heatmaps[0].get_clim()
    assert low == -high == -max(np.abs(np.asarray(v)).max() for v in keras_gates.gates(layer).values()
                                if v.ndim == 2)
    figure.savefig(tmp_path / "weights.png")
    _png_is_a_picture(tmp_path / "weights.png")

    trace_figure = keras_gates.plot_trace(keras_gates.trace(layer, x), sample=1)
    clims = [axes.images[0].get_clim() for axes in trace_figure.axes if axes.images]
    assert clims[:2] == [(0.0, 1.0), (0.0, 1.0)]  # gates on their 0-1 range
    trace_figure.savefig(tmp_path / "trace.png")
    _png_is_a_picture(tmp_path / "trace.png")


def test_convlstm_weights_and_plot_errors():
    layer = keras.layers.ConvLSTM1D(2, 3, padding="same")
    layer.build((None, 3, 5, 2))
    keras_gates.plot_weights(layer)  # convolutional kernels: heatmaps, no eigenvalues
    bi = keras.layers.Bidirectional(keras.layers.LSTM(2))
    bi.build((None, 3, 4))
    with pytest.raises(ValueError, match="forward_layer"):
        keras_gates.plot_weights(bi)
    layer, x = _gru()
    with pytest.raises(ValueError, match=r"sample.*\[0, 2\)"):
        keras_gates.plot_trace(keras_gates.trace(layer, x), sample=5)


def test_plots_without_matplotlib_say_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    layer, _ = _gru()
    with pytest.raises(ImportError, match=r"pip install 'keras_gates\[plot\]'"):
        keras_gates.plot_weights(layer)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "keras_gates", *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ),
                          cwd=cwd)


def _saved_model(tmp_path):
    inputs = keras.Input((7, 4))
    x = keras.layers.Dense(4, name="dense_in")(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True), name="bi")(x)
    outputs = keras.layers.GRU(2, name="gru")(x)
    model = keras.Model(inputs, outputs)
    randomize(model)
    model.save(tmp_path / "m.keras")
    data = np.random.default_rng(1).normal(size=(5, 7, 4)).astype("float32")
    np.save(tmp_path / "x.npy", data)
    return model, data


def test_cli_traces_and_plots_a_saved_model(tmp_path):
    model, data = _saved_model(tmp_path)
    result = _cli(tmp_path / "m.keras", "--input", tmp_path / "x.npy", "--plot",
                  tmp_path / "out.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "trace on input (5, 7, 4) (forward layer)" in out and "f (forget gate)" in out
    assert "gates of GRU 'gru' over 5 sample(s) x 7 steps" in out
    written = sorted(p.name for p in tmp_path.glob("out-*.png"))
    assert written == ["out-bi-backward-trace.png", "out-bi-backward-weights.png",
                       "out-bi-forward-trace.png", "out-bi-forward-weights.png",
                       "out-gru-trace.png", "out-gru-weights.png"]
    _png_is_a_picture(tmp_path / "out-gru-trace.png")

    # the summary printed is the one of the GRU's real input (the Bidirectional's output)
    gru = model.get_layer("gru")
    fed = keras.Model(model.inputs, gru.input)(data)
    expected = keras_gates.summary(keras_gates.trace(gru, fed))
    assert str(expected) in out

    single = _cli(tmp_path / "m.keras", "--layer", "gru", "--plot", tmp_path / "one.png",
                  cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    assert (tmp_path / "one.png").exists() and "LSTM" not in single.stdout


@pytest.mark.parametrize("case,expected", [
    ("wrong_shape", "could not run the model on the input of shape (5, 3)"),
    ("missing_npy", "no such file"),
    ("unknown_layer", "no recurrent layer named 'nope'"),
])
def test_cli_input_errors_are_one_line(tmp_path, case, expected):
    _saved_model(tmp_path)
    np.save(tmp_path / "bad.npy", np.zeros((5, 3), "float32"))
    args = {"wrong_shape": ["--input", tmp_path / "bad.npy"],
            "missing_npy": ["--input", tmp_path / "nope.npy"],
            "unknown_layer": ["--layer", "nope"]}[case]
    result = _cli(tmp_path / "m.keras", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0], result.stderr
