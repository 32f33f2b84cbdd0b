"""trace(): per-step gates equal a NumPy oracle, and `state` equals the layer's own output."""

import keras
import numpy as np
import pytest

import keras_gates
from support import conv_same, gate, randomize, sigmoid, to_numpy

RNG = np.random.default_rng(11)
X = RNG.normal(size=(3, 6, 4)).astype("float32")
MASK = np.ones((3, 6), bool)
MASK[0, 2:4] = False  # masked steps in the middle
MASK[1, :2] = False  # leading masked steps (zero initial state)
MASK[2, 5] = False


def _gru_oracle(layer, x):
    h = np.zeros((x.shape[0], layer.units))
    out = {k: [] for k in ("z", "r", "h", "state")}
    for t in range(x.shape[1]):
        xt = x[:, t].astype("float64")

        def pre(g, rec):
            return xt @ gate(layer, f"kernel_{g}") + gate(layer, f"input_bias_{g}") + rec

        z = sigmoid(pre("z", h @ gate(layer, "recurrent_kernel_z") + gate(layer, "recurrent_bias_z")))
        r = sigmoid(pre("r", h @ gate(layer, "recurrent_kernel_r") + gate(layer, "recurrent_bias_r")))
        if layer.reset_after:
            cand = np.tanh(pre("h", r * (h @ gate(layer, "recurrent_kernel_h")
                                         + gate(layer, "recurrent_bias_h"))))
        else:
            cand = np.tanh(pre("h", (r * h) @ gate(layer, "recurrent_kernel_h")))
        h = z * h + (1 - z) * cand
        for key, value in zip(("z", "r", "h", "state"), (z, r, cand, h)):
            out[key].append(value)
    return {k: np.stack(v, axis=1) for k, v in out.items()}


def _lstm_oracle(layer, x, project=lambda a, w: a @ w):
    h = c = np.zeros(project(x[:, 0].astype("float64"), gate(layer, "kernel_i")).shape)
    out = {k: [] for k in ("i", "f", "o", "c", "cell", "state")}
    for t in range(x.shape[1]):
        xt = x[:, t].astype("float64")

        def pre(g):
            return (project(xt, gate(layer, f"kernel_{g}")) + gate(layer, f"bias_{g}")
                    + project(h, gate(layer, f"recurrent_kernel_{g}")))

        i, f, o, cand = sigmoid(pre("i")), sigmoid(pre("f")), sigmoid(pre("o")), np.tanh(pre("c"))
        c = f * c + i * cand
        h = o * np.tanh(c)
        for key, value in zip(("i", "f", "o", "c", "cell", "state"), (i, f, o, cand, c, h)):
            out[key].append(value)
    return {k: np.stack(v, axis=1) for k, v in out.items()}


def _built(layer, x=X, seed=0):
    layer(x)
    randomize(layer, seed)
    return layer


CASES = {
    "gru": lambda: keras.layers.GRU(5, return_sequences=True),
    "gru_reset_before": lambda: keras.layers.GRU(5, reset_after=False, return_sequences=True),
    "gru_no_bias": lambda: keras.layers.GRU(5, use_bias=False, return_sequences=True),
    "lstm": lambda: keras.layers.LSTM(5, return_sequences=True),
    "lstm_no_bias": lambda: keras.layers.LSTM(5, use_bias=False, return_sequences=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_gates_match_the_numpy_oracle_and_state_the_layer(name):
    layer = _built(CASES[name]())
    result = keras_gates.trace(layer, X)
    oracle = (_gru_oracle if name.startswith("gru") else _lstm_oracle)(layer, X)
    assert set(result) == set(oracle)
    for key in oracle:
        assert result[key].shape == oracle[key].shape, key
        np.testing.assert_allclose(result[key], oracle[key], rtol=2e-4, atol=2e-5, err_msg=key)
    np.testing.assert_allclose(result["state"], to_numpy(layer(X)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dims", [1, 2])
def test_convlstm_gates_and_state(dims):
    make = keras.layers.ConvLSTM1D if dims == 1 else keras.layers.ConvLSTM2D
    layer = make(3, 3, padding="same", return_sequences=True)
    x = RNG.normal(size=(2, 4) + (5,) * dims + (2,)).astype("float32")
    _built(layer, x)
    result = keras_gates.trace(layer, x)
    oracle = _lstm_oracle(layer, x, project=conv_same)
    for key in oracle:
        np.testing.assert_allclose(result[key], oracle[key], rtol=2e-4, atol=2e-5, err_msg=key)
    np.testing.assert_allclose(result["state"], to_numpy(layer(x)), rtol=1e-5, atol=1e-6)
    assert result["f"].shape == (2, 4) + (5,) * dims + (3,)


def _state_matches_layer(layer, x=X, **kwargs):
    result = keras_gates.trace(layer, x, **kwargs)
    np.testing.assert_allclose(result["state"], to_numpy(layer(x, **kwargs)), rtol=1e-5,
                               atol=1e-6)
    return result


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_go_backwards_initial_state_mask_and_activations(kind):
    make = keras.layers.GRU if kind == "gru" else keras.layers.LSTM
    backwards = _built(make(4, return_sequences=True, go_backwards=True))
    result = _state_matches_layer(backwards)
    forwards = make(4, return_sequences=True)
    forwards(X)
    forwards.set_weights(backwards.get_weights())
    reversed_result = keras_gates.trace(forwards, X[:, ::-1])
    np.testing.assert_allclose(result["state"], reversed_result["state"], rtol=1e-5, atol=1e-6)

    layer = _built(make(4, return_sequences=True))
    states = [RNG.normal(size=(3, 4)).astype("float32") for _ in range(1 if kind == "gru" else 2)]
    _state_matches_layer(layer, initial_state=states)
    masked = _state_matches_layer(layer, mask=MASK)
    np.testing.assert_array_equal(masked["state"][0, 2], masked["state"][0, 1])  # carried
    np.testing.assert_array_equal(masked["state"][0, 3], masked["state"][0, 1])
    np.testing.assert_array_equal(masked["state"][1, 1], np.zeros(4))
    if kind == "lstm":
        np.testing.assert_array_equal(masked["cell"][0, 3], masked["cell"][0, 1])

    odd = _built(make(4, return_sequences=True, activation="relu",
                      recurrent_activation="hard_sigmoid"))
    result = _state_matches_layer(odd)
    gates = ("z", "r") if kind == "gru" else ("i", "f", "o")
    for g in gates:
        assert result[g].min() >= 0 and result[g].max() <= 1
    assert result.ranges[gates[0]] == (0.0, 1.0)


def test_lstm_final_cell_state_equals_keras():
    layer = _built(keras.layers.LSTM(4, return_sequences=True, return_state=True))
    _, _, cell_state = layer(X, mask=MASK)
    result = keras_gates.trace(layer, X, mask=MASK)
    np.testing.assert_allclose(result["cell"][:, -1], to_numpy(cell_state), rtol=1e-5, atol=1e-6)


def test_bidirectional_and_rnn_of_cell_and_backend_tensor_inputs():
    bi = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True))
    _built(bi)
    result = keras_gates.trace(bi, keras.ops.convert_to_tensor(X))
    assert set(result) == {"forward", "backward"}
    np.testing.assert_allclose(result["forward"]["state"], to_numpy(bi.forward_layer(X)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result["backward"]["state"], to_numpy(bi.backward_layer(X)),
                               rtol=1e-5, atol=1e-6)
    assert set(keras_gates.summary(result)) == {"forward", "backward"}

    rnn = keras.layers.RNN(keras.layers.LSTMCell(3), return_sequences=True)
    _built(rnn)
    _state_matches_layer(rnn)


def test_bad_inputs_raise_clear_errors():
    layer = _built(keras.layers.GRU(3, return_sequences=True, name="g"))
    with pytest.raises(ValueError, match=r"rank 3 with 4 features.*'g'.*inputs.shape=\(3, 6, 5\)"):
        keras_gates.trace(layer, np.zeros((3, 6, 5), "float32"))
    with pytest.raises(ValueError, match="expects a GRU, LSTM or ConvLSTM layer"):
        keras_gates.trace(keras.layers.Dense(2), X)
    with pytest.raises(keras_gates.NotBuiltError):
        keras_gates.trace(keras.layers.GRU(3), X)


def test_summary_statistics_and_html():
    layer = _built(keras.layers.LSTM(4, return_sequences=True))
    result = keras_gates.trace(layer, X)
    table = keras_gates.summary(result)
    rows = {row.gate: row for row in table.rows}
    assert list(rows) == ["i", "f", "o", "c"]
    f = result["f"]
    assert rows["f"].mean == pytest.approx(f.mean()) and rows["f"].std == pytest.approx(f.std())
    assert rows["f"].saturated == pytest.approx(((f < 0.05) | (f > 0.95)).mean())
    c = result["c"]
    assert rows["c"].saturated == pytest.approx(((c < -0.9) | (c > 0.9)).mean())
    assert "f (forget gate)" in str(table) and "<table>" in table._repr_html_()
    assert "<table>" in result._repr_html_() and "cell state" in result._repr_html_()
    assert result.summary().rows == table.rows
