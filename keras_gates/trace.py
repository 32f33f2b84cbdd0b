"""`trace()`: what every gate does at every step of a recurrent layer, on real input.

The recurrence is run with the gate attributes and the cell's own activation
functions (and, for ConvLSTM, its own convolutions), step by step, in the order
in which the layer processes steps. `trace(...)["state"]` therefore equals the
layer's `return_sequences=True` output.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from typing import Iterator

import numpy as np

from . import table
from .introspect import holders

# What each family records at every step, besides "state" (and "cell" for LSTMs).
GATE_KEYS = {"GRU": ("z", "r", "h"), "LSTM": ("i", "f", "o", "c"), "ConvLSTM": ("i", "f", "o", "c")}


@dataclasses.dataclass(frozen=True)
class GateStats:
    gate: str
    meaning: str
    mean: float
    std: float
    saturated: float  # share of activations within 5% of either end of the activation's range
    low: float
    high: float


class Summary:
    """Per gate: mean, standard deviation and saturated share, as a table."""

    def __init__(self, title: str, rows: list[GateStats]):
        self.title = title
        self.rows = rows

    def __str__(self) -> str:
        lines = [self.title, f"{'gate':<20} {'mean':>8} {'std':>8} {'saturated':>10}  range"]
        for row in self.rows:
            lines.append(f"{row.gate + ' (' + row.meaning + ')':<20} {row.mean:8.3f} "
                         f"{row.std:8.3f} {row.saturated:10.1%}  [{row.low:g}, {row.high:g}]")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{html.escape(r.gate)}</td><td>{html.escape(r.meaning)}</td>"
            f"<td>{r.mean:.3f}</td><td>{r.std:.3f}</td><td>{r.saturated:.1%}</td>"
            f"<td>[{r.low:g}, {r.high:g}]</td></tr>" for r in self.rows)
        return (f"<table><caption>{html.escape(self.title)}</caption><tr><th>gate</th>"
                f"<th>meaning</th><th>mean</th><th>std</th><th>saturated</th><th>range</th></tr>"
                f"{cells}</table>")


class Trace(Mapping):
    """Per-step arrays of one recurrent layer: gate activations, states, with a time axis.

    Keys: GRU `z`, `r`, `h`, `state`; LSTM and ConvLSTM `i`, `f`, `o`, `c`, `cell`,
    `state`. Arrays are `(batch, time, units)` (ConvLSTM: `(batch, time, *spatial,
    filters)`), time in the order the layer processed the steps.
    """

    def __init__(self, layer_name: str, family: str, arrays: dict[str, np.ndarray],
                 ranges: dict[str, tuple[float, float]], meanings: dict[str, str]):
        self.layer_name = layer_name
        self.family = family
        self._arrays = arrays
        self.ranges = ranges
        self.meanings = meanings

    @property
    def gates(self) -> tuple[str, ...]:
        return GATE_KEYS[self.family]

    def __getitem__(self, key: str) -> np.ndarray:
        return self._arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def summary(self) -> Summary:
        return summary(self)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{key}={value.shape}" for key, value in self.items())
        return f"<Trace of {self.family} '{self.layer_name}': {shapes}>"

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{html.escape(key)}</td><td>{html.escape(self.meanings.get(key, ''))}</td>"
            f"<td>{value.shape}</td><td>{value.mean():.3f}</td><td>{value.min():.3f}</td>"
            f"<td>{value.max():.3f}</td></tr>" for key, value in self.items())
        return (f"<table><caption>trace of {html.escape(self.family)} "
                f"'{html.escape(self.layer_name)}'</caption><tr><th>key</th><th>meaning</th>"
                f"<th>shape</th><th>mean</th><th>min</th><th>max</th></tr>{cells}</table>")


def summary(result) -> Summary | dict[str, Summary]:
    """Mean, std and saturated share of every gate of a `trace()` result.

    "Saturated" is the share of activations within 5% of either end of the
    activation's range: below 0.05 or above 0.95 for sigmoid gates, beyond
    ±0.9 for tanh candidates.
    """
    if isinstance(result, Mapping) and not isinstance(result, Trace):
        return {direction: summary(part) for direction, part in result.items()}
    rows = []
    for gate in result.gates:
        values = result[gate]
        low, high = result.ranges[gate]
        margin = 0.05 * (high - low) if np.isfinite(high - low) else 0.0
        saturated = np.zeros(values.shape, bool)
        if np.isfinite(low):
            saturated |= values < low + margin
        if np.isfinite(high):
            saturated |= values > high - margin
        rows.append(GateStats(gate, result.meanings[gate], float(values.mean()),
                              float(values.std()), float(saturated.mean()), low, high))
    return Summary(f"gates of {result.family} '{result.layer_name}' over "
                   f"{result['state'].shape[0]} sample(s) x {result['state'].shape[1]} steps", rows)


def trace(layer, inputs, initial_state=None, mask=None):
    """Run `layer`'s recurrence step by step and record every gate.

    `layer` is a GRU, LSTM or ConvLSTM layer, a `keras.layers.RNN` wrapping a
    GRU or LSTM cell, or a `Bidirectional` of one (then the result is
    `{"forward": Trace, "backward": Trace}`). `inputs`, `initial_state` and
    `mask` are what the layer's `call` takes (NumPy arrays or backend tensors).
    At masked steps the state is carried over as Keras does; the gates show
    what the cell computed there.
    """
    import keras

    if isinstance(layer, keras.layers.Bidirectional):
        states = list(initial_state) if initial_state is not None else None
        half = len(states) // 2 if states else 0
        return {
            "forward": trace(layer.forward_layer, inputs, states[:half] if states else None, mask),
            "backward": trace(layer.backward_layer, inputs, states[half:] if states else None,
                              mask),
        }
    if not isinstance(layer, keras.layers.RNN):
        raise ValueError(
            "`trace()` expects a GRU, LSTM or ConvLSTM layer, an RNN wrapping a GRU or LSTM "
            f"cell, or a Bidirectional of one. Received: layer={layer!r} of type "
            f"{type(layer).__name__}")
    found = holders(layer.cell)
    if len(found) != 1:
        raise ValueError(
            f"`trace()` needs the RNN's cell to be one GRU, LSTM or ConvLSTM cell. "
            f"Received: cell={layer.cell!r}")
    family = found[0].family
    return _Recurrence(layer, layer.cell, family).run(inputs, initial_state, mask)


class _Recurrence:
    def __init__(self, layer, cell, family: table.Family):
        import keras

        self.ops = keras.ops
        self.layer = layer
        self.cell = cell
        self.family = family
        self.dtype = cell.compute_dtype
        self.weights = {
            name: None if view is None else self.ops.cast(view.value, self.dtype)
            for name, view in ((slot.name, getattr(cell, slot.name)) for slot in family.slots)
        }

    def run(self, inputs, initial_state, mask) -> Trace:
        ops = self.ops
        x = ops.convert_to_tensor(inputs, dtype=self.dtype)
        self._check_inputs(x)
        steps = list(range(x.shape[1]))
        if self.layer.go_backwards:
            steps.reverse()
        states = self._initial_states(x, initial_state)
        keep = None if mask is None else ops.convert_to_tensor(mask, dtype="bool")
        records: dict[str, list] = {}
        for t in steps:
            computed, new_states = self._step(x[:, t], states)
            if keep is not None:
                shape = (-1,) + (1,) * (len(new_states[0].shape) - 1)
                keep_t = ops.reshape(keep[:, t], shape)
                new_states = [ops.where(keep_t, new, old) for new, old in zip(new_states, states)]
            states = new_states
            computed["state"] = states[0]
            if len(states) > 1:
                computed["cell"] = states[1]
            for key, value in computed.items():
                records.setdefault(key, []).append(ops.convert_to_numpy(value))
        arrays = {key: np.stack(values, axis=1) for key, values in records.items()}
        return Trace(self.layer.name, self.family.name, arrays, self._ranges(), self._meanings())

    def _check_inputs(self, x) -> None:
        kernel = self.cell.kernel
        expected_rank = len(kernel.shape) + 1  # (batch, time) + spatial + channels
        channels = kernel.shape[-2] if len(kernel.shape) > 2 else kernel.shape[0]
        feature_axis = -1 if getattr(self.cell, "data_format", "channels_last") != \
            "channels_first" else 2
        if len(x.shape) != expected_rank or x.shape[feature_axis] != channels:
            raise ValueError(
                f"`trace()` expects inputs of rank {expected_rank} with {channels} features "
                f"for {type(self.layer).__name__} '{self.layer.name}'. "
                f"Received: inputs.shape={tuple(x.shape)}")

    def _initial_states(self, x, initial_state) -> list:
        ops = self.ops
        if initial_state is None:
            if getattr(self.layer, "stateful", False) and self.layer.states is not None:
                initial_state = [state.value for state in self.layer.states]
            else:
                initial_state = self.cell.get_initial_state(batch_size=x.shape[0])
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        return [ops.convert_to_tensor(s, dtype=self.dtype) for s in initial_state]

    def _project(self, x, name):
        """x times one gate's kernel (a convolution for ConvLSTM), plus its input bias."""
        weights, bias = self.weights[f"kernel_{name}"], self._input_bias(name)
        if self.family.name == "ConvLSTM":
            return self.cell.input_conv(x, weights, bias, padding=self.cell.padding)
        out = self.ops.matmul(x, weights)
        return out if bias is None else out + bias

    def _recur(self, h, name):
        weights = self.weights[f"recurrent_kernel_{name}"]
        if self.family.name == "ConvLSTM":
            return self.cell.recurrent_conv(h, weights)
        return self.ops.matmul(h, weights)

    def _input_bias(self, name):
        if self.family.name == "GRU":
            return self.weights[f"input_bias_{name}"]
        return self.weights[f"bias_{name}"]

    def _step(self, x, states):
        gate_act, act = self.cell.recurrent_activation, self.cell.activation
        h = states[0]
        if self.family.name == "GRU":
            rec_bias = {g: self.weights[f"recurrent_bias_{g}"] for g in "zrh"}

            def recurrent(name):
                out = self._recur(h, name)
                return out if rec_bias[name] is None else out + rec_bias[name]

            z = gate_act(self._project(x, "z") + recurrent("z"))
            r = gate_act(self._project(x, "r") + recurrent("r"))
            if self.cell.reset_after:
                candidate = act(self._project(x, "h") + r * recurrent("h"))
            else:
                candidate = act(self._project(x, "h") + self._recur(r * h, "h"))
            new_h = z * h + (1 - z) * candidate
            return {"z": z, "r": r, "h": candidate}, [new_h]
        c = states[1]
        i = gate_act(self._project(x, "i") + self._recur(h, "i"))
        f = gate_act(self._project(x, "f") + self._recur(h, "f"))
        candidate = act(self._project(x, "c") + self._recur(h, "c"))
        o = gate_act(self._project(x, "o") + self._recur(h, "o"))
        new_c = f * c + i * candidate
        return {"i": i, "f": f, "o": o, "c": candidate}, [o * act(new_c), new_c]

    def _ranges(self) -> dict[str, tuple[float, float]]:
        probe = self.ops.convert_to_tensor(np.array([-1e4, 1e4]), dtype="float32")

        def bounds(function):
            low, high = (float(v) for v in self.ops.convert_to_numpy(function(probe)))
            return low, high

        gate_range = bounds(self.cell.recurrent_activation)
        candidate_range = bounds(self.cell.activation)
        candidate = "h" if self.family.name == "GRU" else "c"
        return {g: candidate_range if g == candidate else gate_range
                for g in GATE_KEYS[self.family.name]}

    def _meanings(self) -> dict[str, str]:
        meanings = {gate.letter: gate.meaning for gate in self.family.gates}
        meanings.update(state="hidden state h_t", cell="cell state c_t")
        return meanings

