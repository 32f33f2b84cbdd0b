"""`gates()` and `layout()`: every gate of a layer, and where it sits in `get_weights()`."""

from __future__ import annotations

import dataclasses
import html
from typing import Any, Iterator

from . import table
from .table import Family, Index, format_index
from .view import GateView


@dataclasses.dataclass(frozen=True)
class Holder:
    """An object carrying gate attributes, and the expression that reaches it."""

    prefix: str  # e.g. "forward_layer." or "get_layer('gru')."
    obj: Any
    family: Family


def holders(obj, prefix: str = "") -> list[Holder]:
    """Every object with gate attributes inside `obj` (itself, a wrapped layer,
    a `RNN(cell)`, stacked cells, the layers of a model), in weight order."""
    import keras

    family = _family_of(obj)
    if family is not None:
        return [Holder(prefix, obj, family)]
    if isinstance(obj, keras.layers.Bidirectional):
        return holders(obj.forward_layer, prefix + "forward_layer.") + holders(
            obj.backward_layer, prefix + "backward_layer."
        )
    if isinstance(obj, keras.layers.RNN):
        cell = obj.cell
        if isinstance(cell, keras.layers.StackedRNNCells):
            return [
                found
                for position, inner in enumerate(cell.cells)
                for found in holders(inner, f"{prefix}cell.cells[{position}].")
            ]
        return holders(cell, prefix + "cell.")
    if isinstance(obj, keras.Model):
        return [
            found
            for layer in obj.layers
            for found in holders(layer, f"{prefix}get_layer({layer.name!r}).")
        ]
    return []


def recurrent_layers(model) -> list:
    """The outermost layers of `model` (searched through nested models) with gates."""
    import keras

    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            found += recurrent_layers(layer)
        elif holders(layer):
            found.append(layer)
    return found


def gates(layer) -> dict[str, GateView]:
    """Every gate attribute of `layer` (or cell, wrapper, model) mapped to its view.

    Keys are attribute expressions relative to `layer`, in Keras's weight order:
    `kernel_z`, ... for a GRU; `forward_layer.kernel_i`, ... for a Bidirectional;
    `get_layer('gru').kernel_z`, ... for a model. Attributes that are `None`
    (no bias, or no recurrent bias) are left out.
    """
    found = _require_holders(layer, "gates")
    result = {}
    for holder in found:
        for slot in holder.family.slots:
            view = getattr(holder.obj, slot.name)
            if view is not None:
                result[holder.prefix + slot.name] = view
    return result


@dataclasses.dataclass(frozen=True)
class LayoutEntry:
    attribute: str
    gate: str
    meaning: str
    index: Index
    symbol: str  # "W", "U", "b" for a whole gate block; "" for a row of one

    @property
    def slice_text(self) -> str:
        return format_index(self.index)


@dataclasses.dataclass(frozen=True)
class LayoutWeight:
    """One array of `get_weights()` and the gate attributes that cut it."""

    position: int
    name: str
    path: str
    shape: tuple
    entries: tuple[LayoutEntry, ...]

    @property
    def summary(self) -> str:
        """E.g. `"[U_z | U_r | U_h]"`, or `""` for a weight without gates."""
        blocks = [f"{entry.symbol}_{entry.gate}" for entry in self.entries if entry.symbol]
        return "[" + " | ".join(blocks) + "]" if blocks else ""


@dataclasses.dataclass(frozen=True)
class Layout:
    """Which gate attribute occupies which slice of each `get_weights()` array."""

    title: str
    backend: str
    weights: tuple[LayoutWeight, ...]

    def __iter__(self) -> Iterator[LayoutWeight]:
        return iter(self.weights)

    def __str__(self) -> str:
        lines = [f"{self.title}  [backend: {self.backend}]"]
        width = max(
            (len(entry.attribute) for weight in self.weights for entry in weight.entries),
            default=0,
        )
        for weight in self.weights:
            head = f"get_weights()[{weight.position}] {weight.name} {weight.shape}"
            if weight.summary:
                head += f" = {weight.summary}"
            lines.append(f"{head}    ({weight.path})")
            for entry in weight.entries:
                lines.append(
                    f"    {entry.attribute:<{width}}  {entry.slice_text:<14}  {entry.meaning}"
                )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        rows = []
        for weight in self.weights:
            head = (f"<tr><th colspan=3 style='text-align:left'>get_weights()[{weight.position}] "
                    f"{html.escape(weight.name)} {weight.shape} {html.escape(weight.summary)}"
                    f" <small>({html.escape(weight.path)})</small></th></tr>")
            rows.append(head)
            rows += [f"<tr><td><code>{html.escape(e.attribute)}</code></td>"
                     f"<td><code>{html.escape(e.slice_text)}</code></td>"
                     f"<td>{html.escape(e.meaning)}</td></tr>" for e in weight.entries]
        return (f"<table><caption>{html.escape(self.title)} (backend: "
                f"{html.escape(self.backend)})</caption>{''.join(rows)}</table>")


def layout(layer) -> Layout:
    """For each array of `layer.get_weights()`, the gate attributes that slice it.

    `print(layout(gru))` shows, e.g.::

        get_weights()[1] recurrent_kernel (10, 30) = [U_z | U_r | U_h]
            recurrent_kernel_z  [:, 0:10]   update gate
            ...

    Works for a GRU/LSTM/ConvLSTM layer or cell, `Bidirectional`, `RNN(cell)`
    and whole models (positions then refer to `model.get_weights()`).
    """
    import keras

    by_variable: dict[int, list[LayoutEntry]] = {}
    for holder in _require_holders(layer, "layout"):
        for slot in holder.family.slots:
            view = getattr(holder.obj, slot.name)
            if view is not None:
                by_variable.setdefault(id(view.variable), []).append(
                    LayoutEntry(holder.prefix + slot.name, slot.gate.letter,
                                slot.gate.meaning, view.index, slot.part.symbol)
                )
    weights = tuple(
        LayoutWeight(
            position, variable.name, variable.path, tuple(variable.shape),
            tuple(by_variable.get(id(variable), ())),
        )
        for position, variable in enumerate(layer.weights)
    )
    title = f"{type(layer).__name__} '{layer.name}': get_weights() holds {len(weights)} arrays"
    return Layout(title, keras.backend.backend(), weights)


def _family_of(obj) -> Family | None:
    import keras

    for target in table.resolve(keras):
        if isinstance(obj, target.cls):
            return target.family
    return None


def _require_holders(layer, function: str) -> list[Holder]:
    found = holders(layer)
    if not found:
        raise ValueError(
            f"`{function}()` expects a GRU, LSTM or ConvLSTM layer or cell, or a layer "
            "or model that contains one (Bidirectional, RNN(cell), Model). "
            f"Received: layer={layer!r} of type {type(layer).__name__}"
        )
    return found
