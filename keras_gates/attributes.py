"""The class attributes that keras_gates adds: one `GateAttribute` per table slot."""

from __future__ import annotations

import operator
from typing import Any

from . import internals
from .errors import NotBuiltError
from .table import FAMILIES, Slot
from .view import GateView

GATE_NAMES = frozenset(slot.name for family in FAMILIES for slot in family.slots)
_MISSING = object()


class GateAttribute:
    """A class attribute that returns a `GateView` of one gate, generated from the gate table.

    On a layer it reads `layer.cell`; on a cell, the cell itself. It only reads:
    assignments go through the `__setattr__` that keras_gates also installs, and
    what an instance keeps under the same name (a Keras 2 style cell's own
    weight, see `keeps`) shadows it, as for any non-data descriptor.
    """

    __slots__ = ("slot", "via_cell", "_read_variable", "_only_when_2d", "__dict__")
    keras_gates = True  # marks what keras_gates adds to a class, whichever copy added it

    def __init__(self, slot: Slot, via_cell: bool):
        self.slot = slot
        self.via_cell = via_cell
        self.__doc__ = slot.doc
        self._read_variable = operator.attrgetter(
            f"cell.{slot.part.variable}" if via_cell else slot.part.variable)
        self._only_when_2d = not slot.exists_for(1)

    def __get__(self, owner, owner_type=None):
        # Kept lean: saving walks dir(layer) and calls every getter.
        if owner is None:
            return self
        try:
            variable = self._read_variable(owner)
        except AttributeError:
            raise NotBuiltError(_not_built_message(owner, self.slot.name)) from None
        if variable is None or (self._only_when_2d and variable.ndim != 2):
            return None
        return GateView(variable, self.slot, owner)

    def __repr__(self) -> str:
        return f"<gate attribute {self.slot.name}>"

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
        view = self.__get__(owner)
        if view is None:
            raise ValueError(
                f"Cannot assign `{self.slot.name}` of {type(owner).__name__} '{owner.name}': "
                "this layer has no such weight slice (use_bias=False, or a GRU with "
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

    When a descriptor raises AttributeError, Python falls back to `__getattr__`;
    `torch.nn.Module.__getattr__` then replaces our `NotBuiltError` with a bare
    "has no attribute". This one re-raises the real error first, and hands
    every other name straight to the next `__getattr__` (torch looks up
    `layer.cell` this way on every step, so that path stays one call long).
    """
    next_getattr = next(vars(base)["__getattr__"] for base in cls.__mro__[1:]
                        if "__getattr__" in vars(base))

    def __getattr__(self, name: str):
        if name in GATE_NAMES:
            attribute = gate_attribute(type(self), name)
            if attribute is not None:
                return attribute.__get__(self, type(self))
        return next_getattr(self, name)

    return _marked(__getattr__, cls)


def chained_setattr(cls: type):
    """A `__setattr__` for `cls` that writes gate data before anything tracks it.

    Keras's `Layer.__setattr__` tracks variables, torch registers `Parameter`s
    and TensorFlow adds checkpoint dependencies, all before a descriptor would
    see the value, so gate assignments are decided here, first. Data is only
    written into the slice; what the instance keeps (`GateAttribute.keeps`)
    takes Keras's usual path, except backend variables, which are kept without
    being registered again.
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
