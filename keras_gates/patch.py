"""Installing and removing the gate attributes on Keras's classes.

`install()` adds attributes, never replaces one, and records what it added;
`uninstall()` removes exactly that. Both are idempotent and thread-safe.
"""

from __future__ import annotations

import threading
import warnings

from . import table
from .attributes import GateAttribute, chained_getattr

_MISSING = object()
_lock = threading.RLock()
_added: dict[type, dict[str, object]] = {}  # class -> {name: the object we put in vars(class)}


def install() -> None:
    """Add the gate attributes to Keras's GRU, LSTM and ConvLSTM layers and cells.

    Idempotent. An attribute a class already defines itself (a newer Keras, a
    user's patch) is left alone with a warning.
    """
    import keras

    with _lock:
        for target in table.resolve(keras):
            for slot in target.family.slots:
                _add(target.cls, slot.name, GateAttribute(slot, target.via_cell))
            if any("__getattr__" in vars(base) for base in target.cls.__mro__):
                _add(target.cls, "__getattr__", chained_getattr(target.cls))


def uninstall() -> None:
    """Remove every attribute `install()` added, leaving each class's `vars()` as before."""
    with _lock:
        for cls, added in _added.items():
            for name, obj in added.items():
                if vars(cls).get(name) is obj:
                    delattr(cls, name)
        _added.clear()


def is_installed() -> bool:
    """Whether the gate attributes are currently installed."""
    with _lock:
        return bool(_added)


def install_or_warn(_module=None) -> None:
    """`install()` for the keras import hook: a failure warns, never breaks `import keras`."""
    try:
        install()
    except Exception as error:  # noqa: BLE001 - any failure must stay a warning
        warnings.warn(
            f"keras_gates could not add the gate attributes to Keras: {error!r}. "
            "Keras works as usual; the attributes are missing.",
            RuntimeWarning,
            stacklevel=2,
        )


def _add(cls: type, name: str, obj: object) -> None:
    existing = vars(cls).get(name, _MISSING)
    if existing is _MISSING:
        setattr(cls, name, obj)
        _added.setdefault(cls, {})[name] = obj
    elif existing is not _added.get(cls, {}).get(name):
        warnings.warn(
            f"keras_gates: {cls.__module__}.{cls.__qualname__} already defines "
            f"`{name}`; keeping it and not adding the gate attribute.",
            RuntimeWarning,
            stacklevel=3,
        )
