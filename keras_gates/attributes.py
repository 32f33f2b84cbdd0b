"""The class attributes that keras_gates adds: one `GateAttribute` per table slot."""

from __future__ import annotations

from typing import Any, Optional

from .errors import NotBuiltError
from .table import FAMILIES, Slot
from .view import GateView

GATE_NAMES = frozenset(slot.name for family in FAMILIES for slot in family.slots)
_MISSING = object()


class GateAttribute(property):
    """A property that returns a `GateView` of one gate, generated from the gate table.

    On a layer it reads `layer.cell`; on a cell, the cell itself. An instance
    that stores its own value under the same name (a Keras 2 style cell doing
    `self.kernel_i = self.add_weight(...)`, or `= None`) keeps it.
    """

    def __init__(self, slot: Slot, via_cell: bool):
        super().__init__(self._get, self._set, None, slot.doc)
        self.__doc__ = slot.doc  # property subclasses drop `doc` before Python 3.12
        self.slot = slot
        self.via_cell = via_cell

    def _get(self, owner) -> Optional[GateView]:
        override = owner.__dict__.get(self.slot.name, _MISSING)
        if override is not _MISSING:
            return override
        cell = owner.cell if self.via_cell else owner
        variable = getattr(cell, self.slot.part.variable, _MISSING)
        if variable is _MISSING:
            raise NotBuiltError(_not_built_message(owner, self.slot.name))
        if variable is None or not self.slot.exists_for(variable.ndim):
            return None
        return GateView(variable, self.slot, owner)

    def _set(self, owner, value: Any) -> None:
        import keras

        name = self.slot.name
        if value is None or isinstance(value, keras.Variable) or name in owner.__dict__:
            owner.__dict__[name] = value  # the instance's own attribute, as in Keras 2
            return
        view = self._get(owner)
        if view is None:
            raise ValueError(
                f"Cannot assign `{name}` of {type(owner).__name__} '{owner.name}': this "
                "layer has no such weight slice (use_bias=False, or a GRU with "
                f"reset_after=False has no recurrent bias). Received: value={value!r:.60}"
            )
        view.assign(value)


def _not_built_message(owner, name: str) -> str:
    if hasattr(owner, "cell"):
        how = ("call it on data (`layer(x)`), call `layer.build(input_shape)`, "
               "or build the model that contains it")
        kind = "Layer"
    else:
        how = ("call `cell.build(input_shape)` with (batch, features), or build the "
               "RNN layer or model that contains it")
        kind = "Cell"
    return (
        f"{kind} '{owner.name}' ({type(owner).__name__}) is not built yet, so `{name}` "
        f"does not exist. Build it first: {how}."
    )


def gate_attribute(cls: type, name: str) -> Optional[GateAttribute]:
    """The `GateAttribute` that `cls.<name>` resolves to, if any (no getattr)."""
    if name in GATE_NAMES:
        for klass in cls.__mro__:
            found = vars(klass).get(name, _MISSING)
            if found is not _MISSING:
                return found if isinstance(found, GateAttribute) else None
    return None


def chained_getattr(cls: type):
    """A `__getattr__` for `cls` that lets a gate attribute's own error through.

    When a property raises AttributeError, Python falls back to `__getattr__`;
    `torch.nn.Module.__getattr__` then replaces our `NotBuiltError` with a bare
    "has no attribute". This one re-raises the real error first.
    """

    def __getattr__(self, name: str):
        attribute = gate_attribute(type(self), name)
        if attribute is not None:
            return attribute.__get__(self, type(self))
        return super(cls, self).__getattr__(name)

    __getattr__.__qualname__ = f"{cls.__qualname__}.__getattr__"
    __getattr__.keras_gates = True
    return __getattr__
