"""Every private Keras name keras_gates touches, in one place.

Keras 3 has no public accessor for a variable's raw storage (`Variable.value`
applies autocast) or for the active `StatelessScope`; these helpers wrap the
private names that have been stable across Keras 3 releases.
"""

from __future__ import annotations

import functools
import sys
from typing import Any


def is_variable(value: Any) -> bool:
    """Whether `value` is a Keras variable (`isinstance(x, keras.Variable)` is not
    enough: in older Keras 3 releases layer weights are not instances of it)."""
    import keras

    return isinstance(value, _variable_root(keras.Variable))


@functools.lru_cache(maxsize=8)
def _variable_root(public: type) -> type:
    for cls in public.__mro__:
        if cls.__module__.endswith("backend.common.variables"):
            return cls
    return public


def storage(variable) -> Any:
    """The backend object that holds `variable`'s memory (never autocast)."""
    return variable._value


def storage_dtype(variable) -> str:
    """The dtype the variable stores, whatever autocast scope is active."""
    return variable._dtype


def shape_of(variable) -> tuple:
    """The variable's shape as a plain tuple (TensorFlow's `shape` is a TensorShape)."""
    shape = getattr(variable, "_shape", None)
    return tuple(shape) if shape is not None else tuple(variable.shape)


def stateless_scope():
    """The active `keras.StatelessScope`, or None."""
    return _scope_getter(sys.modules["keras"].StatelessScope)()


@functools.lru_cache(maxsize=8)
def _scope_getter(scope_class: type):
    # The module that defines StatelessScope also defines get_stateless_scope; its
    # import path differs across Keras 3 releases, so find it from the class.
    return sys.modules[scope_class.__module__].get_stateless_scope


def current_value(variable) -> Any:
    """The variable's value as code running now sees it, without autocast.

    Inside a `StatelessScope` that maps the variable, that is the scope's value;
    otherwise it is the storage itself.
    """
    scope = stateless_scope()
    if scope is not None:
        value = scope.get_current_value(variable)
        if value is not None:
            return value
    return storage(variable)


def direct_assign(variable, value) -> None:
    """Replace the variable's value (already in its storage dtype), outside any scope.

    `Variable.assign` converts to `variable.dtype`, which some Keras releases
    read as the autocast dtype inside an `AutocastScope`; this does not.
    """
    variable._direct_assign(value)


def record_update(variable, value) -> None:
    """Record `variable = value` in the active StatelessScope, as `Variable.assign` does."""
    stateless_scope().add_update((variable, value))
