"""The gate table: which Keras classes get which per-gate attributes.

Everything else in keras_gates (the class attributes, their docstrings, `gates()`,
`layout()`, the CLI) is generated from `FAMILIES`. Keras stores the gates of a
recurrent cell side by side along the last axis of one variable, in the order
listed here (GRU: z, r, h; LSTM and ConvLSTM: i, f, c, o).
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from types import ModuleType
from typing import Optional

Index = tuple  # a NumPy-style basic index: ints and slices


@dataclasses.dataclass(frozen=True)
class Gate:
    letter: str
    meaning: str


@dataclasses.dataclass(frozen=True)
class Part:
    """A kind of per-gate attribute, cut from one concatenated cell variable.

    `row` picks a row of a stacked 2-D bias (GRU with `reset_after=True` keeps
    the input bias in row 0 and the recurrent bias in row 1); a 1-D bias has
    only the input row, so row 1 of it is `None`.
    """

    prefix: str
    variable: str
    meaning: str
    symbol: str = ""  # how `layout()` names a whole gate block, e.g. "U" for U_z
    row: Optional[int] = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Family:
    """Classes that share one gate layout: layers delegate to `layer.cell`."""

    name: str
    layers: tuple[str, ...]
    cells: tuple[str, ...]
    gates: tuple[Gate, ...]
    parts: tuple[Part, ...]
    units: str = "units"

    @functools.cached_property
    def slots(self) -> tuple["Slot", ...]:
        return tuple(
            Slot(f"{part.prefix}_{gate.letter}", self, part, gate, position)
            for part in self.parts
            for position, gate in enumerate(self.gates)
        )


@dataclasses.dataclass(frozen=True)
class Slot:
    """One attribute: one gate of one part, e.g. `recurrent_kernel_h`."""

    name: str
    family: Family
    part: Part
    gate: Gate
    position: int

    def exists_for(self, ndim: int) -> bool:
        """Whether this slot exists in a variable of `ndim` dimensions."""
        return self.part.row in (None, 0) or ndim == 2

    def index(self, shape: tuple) -> Index:
        """The index of this gate inside a variable of `shape`."""
        return _index(self.position, len(self.family.gates), self.part.row, shape)

    @property
    def doc(self) -> str:
        count = len(self.family.gates)
        start = _units_text(self.position, self.family.units)
        stop = _units_text(self.position + 1, self.family.units)
        if self.part.row is None:
            where = f"{self.part.variable}[..., {start}:{stop}]"
        else:
            where = f"{self.part.variable}[{self.part.row}, {start}:{stop}]"
        note = f" {self.part.note}" if self.part.note else ""
        if self.part.row == 0:
            note += f" With a 1-D bias (reset_after=False): `cell.bias[{start}:{stop}]`."
        elif self.part.row is not None:
            note += " None with a 1-D bias (reset_after=False)."
        if self.part.variable == "bias":
            note += " None when use_bias=False."
        return (
            f"{self.family.name} {self.gate.meaning} ({self.gate.letter}), "
            f"{self.part.meaning}: `cell.{where}`, a live GateView.\n\n"
            f"{self.family.units} = {self.part.variable}.shape[-1] // {count}.{note}\n"
            f"Read it with np.asarray(...), .numpy() or .value; write it with "
            f".assign(x), [...] = x or `layer.{self.name} = x`."
        )


def _units_text(multiple: int, units: str) -> str:
    return {0: "0", 1: units}.get(multiple, f"{multiple}*{units}")


@functools.lru_cache(maxsize=1024)
def _index(position: int, count: int, row: Optional[int], shape: tuple) -> Index:
    width = shape[-1] // count
    columns = slice(position * width, (position + 1) * width)
    if row is None:
        return (slice(None),) * (len(shape) - 1) + (columns,)
    if len(shape) == 2:
        return (row, columns)
    return (columns,)


def format_index(index: Index) -> str:
    """`(slice(None), slice(0, 10))` -> `"[:, 0:10]"`."""

    def one(item):
        if isinstance(item, slice):
            start = "" if item.start is None else item.start
            stop = "" if item.stop is None else item.stop
            return f"{start}:{stop}"
        return str(item)

    return "[" + ", ".join(one(item) for item in index) + "]"


def sliced_shape(shape: tuple, index: Index) -> tuple:
    """The shape of `array[index]` for an array of `shape` (ints drop an axis)."""
    result = []
    for size, item in zip(shape, index):
        if isinstance(item, slice):
            result.append(len(range(*item.indices(size))))
    return tuple(result) + tuple(shape[len(index):])


GRU_GATES = (Gate("z", "update gate"), Gate("r", "reset gate"), Gate("h", "candidate"))
LSTM_GATES = (
    Gate("i", "input gate"),
    Gate("f", "forget gate"),
    Gate("c", "cell candidate"),
    Gate("o", "output gate"),
)
KERNEL = Part("kernel", "kernel", "input kernel", symbol="W")
RECURRENT_KERNEL = Part("recurrent_kernel", "recurrent_kernel", "recurrent kernel", symbol="U")
BIAS = Part("bias", "bias", "bias", symbol="b")
STACKED_BIAS = dataclasses.replace(
    BIAS, note="With reset_after=True the bias is (2, 3*units) and this is both rows, (2, units)."
)
INPUT_BIAS = Part("input_bias", "bias", "input bias", row=0)
RECURRENT_BIAS = Part("recurrent_bias", "bias", "recurrent bias", row=1)

FAMILIES: tuple[Family, ...] = (
    Family(
        "GRU", ("GRU",), ("GRUCell",), GRU_GATES,
        (KERNEL, RECURRENT_KERNEL, STACKED_BIAS, INPUT_BIAS, RECURRENT_BIAS),
    ),
    Family("LSTM", ("LSTM",), ("LSTMCell",), LSTM_GATES, (KERNEL, RECURRENT_KERNEL, BIAS)),
    Family(
        "ConvLSTM", ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"), ("ConvLSTMCell",),
        LSTM_GATES, (KERNEL, RECURRENT_KERNEL, BIAS), units="filters",
    ),
)


@dataclasses.dataclass(frozen=True)
class Target:
    """A Keras class that gets a family's attributes; layers reach them through `.cell`."""

    cls: type
    family: Family
    via_cell: bool


@functools.lru_cache(maxsize=8)
def resolve(keras: ModuleType) -> tuple[Target, ...]:
    """The classes of this `keras` module that the table names, found by name.

    Public classes come from `keras.layers`; a private cell class (ConvLSTMCell)
    is looked up in the modules that define its layers' base classes, so no
    private import path is hard-coded.
    """
    targets = []
    for family in FAMILIES:
        layers = [getattr(keras.layers, name) for name in family.layers]
        targets += [Target(cls, family, True) for cls in layers]
        for name in family.cells:
            cell = _find_class(keras.layers, name, layers)
            if cell is None:
                raise LookupError(
                    f"Could not find the cell class {name} of {family.name} in this "
                    f"Keras ({getattr(keras, '__version__', '?')})."
                )
            targets.append(Target(cell, family, False))
    return tuple(targets)


def _find_class(namespace: ModuleType, name: str, near: list) -> Optional[type]:
    found = getattr(namespace, name, None)
    if isinstance(found, type):
        return found
    for layer in near:
        for base in layer.__mro__:
            found = getattr(sys.modules.get(base.__module__), name, None)
            if isinstance(found, type):
                return found
    return None
