"""keras_gates: Keras 2 style per-gate weights on Keras 3 recurrent layers.

`import keras_gates` gives `GRU`, `LSTM`, `ConvLSTM1D/2D/3D` and their cells
attributes such as `kernel_z`, `recurrent_kernel_h` and `bias_f`: live,
zero-copy views (`GateView`) into the concatenated Keras variables.

Importing keras_gates imports neither Keras nor a backend: the attributes are
installed when Keras is imported (or at once, if it already is).
"""

from __future__ import annotations

import importlib

from . import hook
from .errors import NotBuiltError

__version__ = "0.1.0"

# Public names and the module that defines each; loaded on first use so that
# `import keras_gates` stays cheap and framework-free.
_LAZY = {
    "GateView": "view",
    "install": "patch",
    "uninstall": "patch",
    "is_installed": "patch",
    "gates": "introspect",
    "layout": "introspect",
    "Layout": "introspect",
    "trace": "trace",
    "Trace": "trace",
    "summary": "trace",
    "plot_weights": "plots",
    "plot_trace": "plots",
}
__all__ = ["NotBuiltError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'keras_gates' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(__all__))


hook.start()
