"""The class attributes that keras_gates adds: one `GateAttribute` per table slot."""

from __future__ import annotations

from typing import Any, Optional

from . import internals
from .errors import NotBuiltError
from .table import FAMILIES, Slot
from .view import GateView

GATE_NAMES = frozenset(slot.name for family in FAMILIES for slot in family.slots)
_MISSING = object()


class GateAttribute(property):
    """A property that returns a `GateView` of one gate, generated from the gate table.

    On a layer it reads `layer.cell`; on a cell, the cell itself. Assigning
    writes the value into the gate slice, except for what a Keras 2 style cell
    stores under these names in `build()` (see `keeps`).
    """

    keras_gates = True  # marks what keras_gates adds to a class, whichever copy added it

    def __init__(self, slot: Slot, via_cell: bool):
        super().__init__(self._get, self._keep_or_write, None, slot.doc)
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

    def keeps(self, owner, value: Any) -> bool:
        """Whether `owner.<name> = value` stores `value` on that instance.

        True for `None`, for a variable the layer already owns (Keras 2 style
        `self.kernel_i = self.add_weight(...)`) or its backend storage, and for
        any value once the instance has its own attribute of this name. Every
        other value is data, written into the gate slice.
        """
        if value is None or self.slot.name in owner.__dict__:
            return True
        return any(value is weight or value is internals.storage(weight)
                   for weight in owner.weights)

    def write(self, owner, value: Any) -> None:
        """Write the values of `value` into this gate slice of `owner`."""
        view = self._get(owner)
        if view is None:
            raise ValueError(
                f"Cannot assign `{self.slot.name}` of {type(owner).__name__} '{owner.name}': "
                "this layer has no such weight slice (use_bias=False, or a GRU with "
                f"reset_after=False has no recurrent bias). Received: value={value!r:.60}"
            )
        view.assign(value)

    def _keep_or_write(self, owner, value: Any) -> None:
        if self.keeps(owner, value):
            owner.__dict__[self.slot.name] = value
        else:
            self.write(owner, value)


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


def gate_attribute(cls: type, name: str):
    """The gate attribute that `cls.<name>` resolves to, if any (no getattr)."""
    if name in GATE_NAMES:
        for klass in cls.__mro__:
            found = vars(klass).get(name, _MISSING)
            if found is not _MISSING:
                return found if is_ours(found) else None
    return None


def is_ours(obj: Any) -> bool:
    """Whether keras_gates (this copy, or one `keras.config.set_backend` replaced) made `obj`."""
    return getattr(obj, "keras_gates", False) is True


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

    return _marked(__getattr__, cls)


def chained_setattr(cls: type):
    """A `__setattr__` for `cls` that writes gate data before anything tracks it.

    Keras's `Layer.__setattr__` tracks variables, torch registers `Parameter`s
    and TensorFlow adds checkpoint dependencies, all before a property setter
    runs. Data assigned to a gate attribute is only written into the slice;
    what the instance keeps (`GateAttribute.keeps`) takes Keras's usual path,
    except backend variables, which are kept without being registered again.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        attribute = gate_attribute(type(self), name)
        if attribute is not None:
            if not attribute.keeps(self, value):
                attribute.write(self, value)
                return
            if value is not None and not internals.is_variable(value):
                self.__dict__[name] = value
                return
        super(cls, self).__setattr__(name, value)

    return _marked(__setattr__, cls)


def _marked(function, cls: type):
    function.__qualname__ = f"{cls.__qualname__}.{function.__name__}"
    function.keras_gates = True
    return function
