"""`python -m keras_gates [MODEL.keras]`: print where every gate sits in a model's weights.

Without a model it builds a small example (a GRU(10) on inputs of shape
(8, 15), followed by an LSTM) and prints its layout.
"""

from __future__ import annotations

import argparse
import os
import sys
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


def load(path: str):
    import keras

    if not os.path.exists(path):
        raise UserError(f"no such file: {path}")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any loading failure is the input's
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise UserError(
            f"could not load {path} as a Keras model: {type(error).__name__}: {first_line}"
        ) from None


def report(model, source: str) -> str:
    import keras

    import keras_gates
    from keras_gates.introspect import recurrent_layers

    layers = recurrent_layers(model)
    if not layers:
        raise UserError(f"{source} has no GRU, LSTM or ConvLSTM layer (looked inside "
                        "Bidirectional, RNN and nested models too)")
    lines = [
        f"keras_gates {keras_gates.__version__} on Keras {keras.__version__}, "
        f"backend: {keras.backend.backend()}",
        f"model: {source}, {len(layers)} recurrent layer(s)",
    ]
    for layer in layers:
        lines += ["", str(keras_gates.layout(layer))]
        shown = [
            (name, view.shape)
            for name, view in keras_gates.gates(layer).items()
            if name.rsplit(".", 1)[-1] in EXAMPLE_ATTRIBUTES
        ]
        lines += [f"  {layer.name}.{name}.shape = {shape}" for name, shape in shown]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m keras_gates",
        description="Show which gate attribute (kernel_z, recurrent_kernel_h, bias_f, ...) "
        "occupies which slice of each get_weights() array of every recurrent layer.",
    )
    parser.add_argument(
        "model", nargs="?",
        help="a saved .keras model; without it, a built-in example (GRU(10) then LSTM(6))",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        if args.model:
            text = report(load(args.model), args.model)
        else:
            text = report(example_model(), "built-in example")
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
