"""Installing and removing the gate attributes on Keras's classes.

`install()` adds attributes, never replaces someone else's, and records what
it added; `uninstall()` removes exactly that. Both are idempotent and
thread-safe. Everything added carries a `keras_gates` mark, so a copy of
keras_gates re-imported by `keras.config.set_backend` recognises (and
replaces) what an earlier copy added instead of warning about it.
"""

from __future__ import annotations

import sys
import threading
import warnings

from . import table
from .attributes import GateAttribute, chained_getattr, chained_setattr, is_ours

_MISSING = object()
_lock = threading.RLock()
_added: dict[type, dict[str, object]] = {}  # class -> {name: the object put in vars(class)}


def install() -> None:
    """Add the gate attributes to Keras's GRU, LSTM and ConvLSTM layers and cells.

    Idempotent. An attribute a class already defines itself (a newer Keras, a
    user's patch) is left alone with a warning.
    """
    import keras

    with _lock:
        for target in table.resolve(keras):
            cls = target.cls
            for slot in target.family.slots:
                _add(cls, slot.name, GateAttribute(slot, target.via_cell))
            _add(cls, "__setattr__", chained_setattr(cls))
            if any("__getattr__" in vars(base) for base in cls.__mro__ if base is not cls):
                _add(cls, "__getattr__", chained_getattr(cls))


def uninstall() -> None:
    """Remove every attribute keras_gates added, leaving each class's `vars()` as before."""
    with _lock:
        classes = set(_added)
        keras = sys.modules.get("keras")
        if keras is not None:
            try:
                classes.update(target.cls for target in table.resolve(keras))
            except Exception:  # noqa: BLE001 - a half-imported Keras has nothing of ours
                pass
        for cls in classes:
            for name, value in list(vars(cls).items()):
                if is_ours(value):
                    delattr(cls, name)
        _added.clear()


def is_installed() -> bool:
    """Whether the gate attributes are currently installed."""
    with _lock:
        return bool(_added)


def install_or_warn() -> None:
    """`install()` for the import hook: a failure warns, never breaks `import keras`."""
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
    if existing is not _MISSING and existing is _added.get(cls, {}).get(name):
        return  # installed already
    if existing is _MISSING or is_ours(existing):
        setattr(cls, name, obj)
        _added.setdefault(cls, {})[name] = obj
        return
    warnings.warn(
        f"keras_gates: {cls.__module__}.{cls.__qualname__} already defines `{name}`; "
        "keeping it and not adding the gate attribute.",
        RuntimeWarning,
        stacklevel=3,
    )
