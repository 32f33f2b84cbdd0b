"""`python -m keras_gates [MODEL.keras] [--layer NAME] [--input ARRAY.npy] [--plot OUT.png]`

Prints where every gate sits in the weights of each recurrent layer; with
`--input`, runs `trace()` on it and prints each gate's summary; with `--plot`,
writes pictures of the weights (and of the trace). Without a model it uses a
built-in example (a GRU(10) on inputs of shape (8, 15), then an LSTM) and a
built-in random input. Problems are reported in one line, with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

EXAMPLE_ATTRIBUTES = ("kernel_z", "recurrent_kernel_h", "bias_z", "input_bias_z", "kernel_f", "bias_f")


class UserError(Exception):
    """A problem with the command line's input, reported as one line."""


def example_model():
    """The built-in example: GRU(10) over (8, 15) inputs, then an LSTM(6)."""
    import keras

    inputs = keras.Input((8, 15), name="sequence")
    hidden = keras.layers.GRU(10, return_sequences=True, name="gru")(inputs)
    outputs = keras.layers.LSTM(6, name="lstm")(hidden)
    return keras.Model(inputs, outputs, name="example")


def example_input():
    import numpy as np

    return np.random.default_rng(0).normal(size=(4, 8, 15)).astype("float32")


def load(path: str):
    import keras

    if not os.path.exists(path):
        raise UserError(f"no such file: {path}")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any loading failure is the input's
        raise UserError(f"could not load {path} as a Keras model: {_first_line(error)}") from None


def load_input(path: str):
    import numpy as np

    if not os.path.exists(path):
        raise UserError(f"no such file: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as error:  # noqa: BLE001
        raise UserError(f"could not read {path} as a NumPy .npy array: {_first_line(error)}") \
            from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def select_layers(model, source: str, name: Optional[str]) -> list:
    from keras_gates.introspect import recurrent_layers

    layers = recurrent_layers(model)
    if not layers:
        raise UserError(f"{source} has no GRU, LSTM or ConvLSTM layer (looked inside "
                        "Bidirectional, RNN and nested models too)")
    if name is None:
        return layers
    chosen = [layer for layer in layers if layer.name == name]
    if not chosen:
        names = ", ".join(layer.name for layer in layers)
        raise UserError(f"no recurrent layer named {name!r} in {source}; its recurrent "
                        f"layers are: {names}")
    return chosen


def layer_input(model, layer, x):
    """What `layer` receives when `model` is called on `x` (through nested models)."""
    import keras

    for inner in model.layers:
        if inner is layer or (isinstance(inner, keras.Model) and _contains(inner, layer)):
            try:
                fed = x if inner.input is model.inputs[0] and len(model.inputs) == 1 \
                    else keras.Model(model.inputs, inner.input)(x)
            except Exception as error:  # noqa: BLE001 - shape and structure errors alike
                raise UserError(
                    f"could not run the model on the input of shape {getattr(x, 'shape', '?')} "
                    f"(the model expects {_expected_shape(model)}): {_first_line(error)}"
                ) from None
            return fed if inner is layer else layer_input(inner, layer, fed)
    raise UserError(f"could not find the input of layer {layer.name!r}")


def _contains(model, layer) -> bool:
    import keras

    return any(inner is layer or (isinstance(inner, keras.Model) and _contains(inner, layer))
               for inner in model.layers)


def _expected_shape(model) -> str:
    try:
        return str(tuple(model.inputs[0].shape))
    except Exception:  # noqa: BLE001
        return "its input shape"


def report(model, source: str, layers: list, x) -> tuple[str, dict]:
    import keras

    import keras_gates

    lines = [
        f"keras_gates {keras_gates.__version__} on Keras {keras.__version__}, "
        f"backend: {keras.backend.backend()}",
        f"model: {source}, {len(layers)} recurrent layer(s)",
    ]
    traces = {}
    for layer in layers:
        lines += ["", str(keras_gates.layout(layer))]
        shown = [
            (name, view.shape)
            for name, view in keras_gates.gates(layer).items()
            if name.rsplit(".", 1)[-1] in EXAMPLE_ATTRIBUTES
        ]
        lines += [f"  {layer.name}.{name}.shape = {shape}" for name, shape in shown]
        if x is not None:
            fed = layer_input(model, layer, x)
            try:
                traces[layer.name] = keras_gates.trace(layer, fed)
            except ValueError as error:
                raise UserError(str(error)) from None
            summaries = keras_gates.summary(traces[layer.name])
            for direction, text in (summaries.items() if isinstance(summaries, dict)
                                    else [("", summaries)]):
                lines += ["", f"trace on input {tuple(x.shape)}" +
                          (f" ({direction} layer)" if direction else "") + ":", str(text)]
    return "\n".join(lines), traces


def write_plots(layers: list, traces: dict, out: str) -> list[str]:
    import keras_gates

    figures = []
    for layer in layers:
        parts = [("", layer)]
        if hasattr(layer, "forward_layer"):
            parts = [("-forward", layer.forward_layer), ("-backward", layer.backward_layer)]
        for suffix, part in parts:
            figures.append((f"{layer.name}{suffix}-weights", keras_gates.plot_weights(part)))
        if layer.name in traces:
            result = traces[layer.name]
            items = result.items() if isinstance(result, dict) else [("", result)]
            for direction, part in items:
                suffix = f"-{direction}" if direction else ""
                figures.append((f"{layer.name}{suffix}-trace", keras_gates.plot_trace(part)))
    target = Path(out)
    paths = []
    for name, figure in figures:
        path = target if len(figures) == 1 else target.with_name(f"{target.stem}-{name}{target.suffix}")
        figure.savefig(path, dpi=100)
        paths.append(str(path))
    return paths


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m keras_gates",
        description="Show which gate attribute (kernel_z, recurrent_kernel_h, bias_f, ...) "
        "occupies which slice of each get_weights() array of every recurrent layer, what "
        "the gates do on an input, and pictures of both.",
    )
    parser.add_argument(
        "model", nargs="?",
        help="a saved .keras model; without it, a built-in example (GRU(10) then LSTM(6)) "
             "and a built-in random input",
    )
    parser.add_argument("--layer", help="only this recurrent layer (by name)")
    parser.add_argument("--input", help="a .npy array to feed the model: trace every gate on it")
    parser.add_argument("--plot", help="write pictures to this .png (one file per layer and kind "
                                       "when there are several)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        if args.plot:
            from keras_gates.plots import require_matplotlib

            require_matplotlib()  # fail before any work if matplotlib is missing
        model = load(args.model) if args.model else example_model()
        source = args.model or "built-in example"
        x = load_input(args.input) if args.input else (None if args.model else example_input())
        layers = select_layers(model, source, args.layer)
        text, traces = report(model, source, layers, x)
        print(text)
        if args.plot:
            for path in write_plots(layers, traces, args.plot):
                print(f"wrote {path}")
    except (UserError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
