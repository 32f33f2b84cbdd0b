"""GateView: one gate's slice of a concatenated Keras variable, live and zero-copy."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import backends, internals
from .table import Index, Slot, format_index, sliced_shape


def _ops():
    import keras

    return keras.ops


class GateView:
    """One gate of a Keras recurrent cell variable, e.g. `gru.kernel_z`.

    A view is created on each attribute access and reads the variable when it
    is used, so it is always current.

    Reading:
        `np.asarray(view)`, `view.numpy()`, `view.eval()`: a read-only NumPy view
        of the variable's own memory (no copy on CPU).
        `view.value`: the backend tensor of the slice, read through
        `variable.value` (respects `StatelessScope` and autocast; differentiable).
    Writing (only this slice of the variable changes):
        `view.assign(x)`, `view[idx] = x`, `layer.kernel_z = x`, `layer.kernel_z += 1`.
    As an operand it behaves like a `keras.Variable`: `view * 2`,
    `keras.ops.matmul(x, view)`, comparisons, and the NumPy / TensorFlow /
    JAX / PyTorch conversion protocols.
    """

    __slots__ = ("_variable", "_slot", "_owner")

    def __init__(self, variable, slot: Slot, owner: Any = None):
        self._variable = variable
        self._slot = slot
        self._owner = owner

    # --- what it is -------------------------------------------------------

    @property
    def name(self) -> str:
        """The attribute name, e.g. `"kernel_z"`."""
        return self._slot.name

    @property
    def gate(self) -> str:
        """The gate letter (`"z"`, `"r"`, `"h"`, `"i"`, `"f"`, `"c"` or `"o"`)."""
        return self._slot.gate.letter

    @property
    def variable(self):
        """The concatenated `keras.Variable` this view cuts from."""
        return self._variable

    @property
    def index(self) -> Index:
        """The index of this gate in `variable`, e.g. `(slice(None), slice(0, 10))`."""
        return self._slot.index(internals.shape_of(self._variable))

    @property
    def shape(self) -> tuple:
        return sliced_shape(internals.shape_of(self._variable), self.index)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def dtype(self) -> str:
        """The Keras dtype string, as `variable.dtype` reports it."""
        return self._variable.dtype

    @property
    def path(self) -> str:
        """`variable.path` with the slice, e.g. `"gru/gru_cell/kernel[:, 0:10]"`."""
        return f"{self._variable.path}{format_index(self.index)}"

    def __repr__(self) -> str:
        text = f"<GateView {self.name} = {self.path}, shape={self.shape}, dtype={self.dtype}"
        try:
            text += f", value=\n{self.numpy()}"
        except Exception:  # a repr must never fail (e.g. inside a traced function)
            pass
        return text + ">"

    # --- reading ----------------------------------------------------------

    @property
    def value(self):
        """The backend tensor of this slice, read through `variable.value`."""
        return self._variable.value[self.index]

    def numpy(self) -> np.ndarray:
        """A read-only NumPy view of the gate, sharing the variable's memory on CPU.

        Write through `assign`, `[...] =` or the layer attribute instead: they keep
        autograd version counters, JAX immutability and stateless scopes right.
        """
        variable = self._variable
        scope = internals.stateless_scope()
        scoped = scope.get_current_value(variable) if scope is not None else None
        if scoped is not None:
            full = np.asarray(_ops().convert_to_numpy(scoped))
        else:
            full = backends.for_current_backend().storage_numpy(variable)
        array = full[self.index]
        array.setflags(write=False)
        return array

    def eval(self) -> np.ndarray:
        """Keras 2 spelling of `numpy()`, so `layer.recurrent_kernel_h.eval()` runs unchanged."""
        return self.numpy()

    def __array__(self, dtype=None, copy: Optional[bool] = None) -> np.ndarray:
        array = self.numpy()
        if dtype is not None and array.dtype != np.dtype(dtype):
            if copy is False:
                raise ValueError(
                    f"Cannot convert `{self.name}` ({array.dtype}) to {np.dtype(dtype)} "
                    "without a copy. Received: copy=False"
                )
            return array.astype(dtype)
        return array.copy() if copy else array

    def __getitem__(self, key):
        return self.value[key]

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self):
        return iter(self.value)

    def __bool__(self):
        raise TypeError("A GateView cannot be used as a boolean.")

    __hash__ = object.__hash__

    # --- writing ----------------------------------------------------------

    def assign(self, value) -> "GateView":
        """Write `value` (this gate's shape, or a scalar) into the variable's slice.

        The value is checked before anything is written; other gates never change.
        """
        index = self.index
        update = self._checked(value, sliced_shape(internals.shape_of(self._variable), index))
        variable = self._variable
        if internals.stateless_scope() is not None:
            base = internals.current_value(variable)
            internals.record_update(variable, backends.rebuilt(base, index, update))
        else:
            backends.for_current_backend().write(
                variable, index, update, f"`{self.name}` of {self._owner_text()}")
        return self

    def assign_add(self, value) -> "GateView":
        return self.assign(self + value)

    def assign_sub(self, value) -> "GateView":
        return self.assign(self - value)

    def __setitem__(self, key, value) -> None:
        gate = np.array(self)  # a writable copy of this gate only
        source = self._numeric_array(value)
        try:
            gate[key] = source
        except (IndexError, ValueError) as error:
            raise type(error)(
                f"Cannot write `{self.name}[{key!r}]` of {self._owner_text()}: {error}. "
                f"Received: value.shape={source.shape}"
            ) from None
        self.assign(gate)

    def _owner_text(self) -> str:
        owner = self._owner
        if owner is None:
            return f"variable '{self._variable.path}'"
        return f"{type(owner).__name__} '{getattr(owner, 'name', '?')}'"

    def _numeric_array(self, value) -> np.ndarray:
        if isinstance(value, GateView):
            return value.numpy()
        if _is_backend_tensor(value):
            value = _ops().convert_to_numpy(value)
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Cannot write `{self.name}` of {self._owner_text()}: expected a numeric "
                f"array of shape {self.shape}, but the value is not convertible to one "
                f"({error}). Received: value={_short(value)}"
            ) from None
        if array.dtype.kind not in "biuf" and array.dtype.name != "bfloat16":
            raise TypeError(
                f"Cannot write `{self.name}` of {self._owner_text()}: expected a numeric "
                f"array of shape {self.shape}. Received: value.dtype={array.dtype}, "
                f"value={_short(value)}"
            )
        return array

    def _checked(self, value, expected: tuple):
        """`value` as an update for this slice: numeric, right shape, storage dtype."""
        import keras

        dtype = internals.storage_dtype(self._variable)
        if isinstance(value, GateView) or internals.is_variable(value):
            value = value.value
        if _is_backend_tensor(value):
            received = keras.backend.standardize_dtype(value.dtype)
            if not (keras.backend.is_float_dtype(received) or keras.backend.is_int_dtype(received)
                    or received == "bool"):
                raise TypeError(
                    f"Cannot write `{self.name}` of {self._owner_text()}: expected a numeric "
                    f"tensor of shape {expected}. Received: value.dtype={received}"
                )
            self._check_shape(tuple(value.shape), expected)
            if received != dtype:
                value = keras.ops.cast(value, dtype)
            if tuple(value.shape) != expected:
                value = keras.ops.broadcast_to(value, expected)
            return value
        array = self._numeric_array(value)
        self._check_shape(array.shape, expected)
        return np.broadcast_to(array.astype(_numpy_dtype(dtype), copy=False), expected)

    def _check_shape(self, received: tuple, expected: tuple) -> None:
        if received != expected and received != ():
            raise ValueError(
                f"Cannot write `{self.name}` of {self._owner_text()}: expected a value of "
                f"shape {expected} (or a scalar). Received: value.shape={received}"
            )

    # --- conversion protocols ---------------------------------------------

    def __jax_array__(self):
        return self.value

    def __tf_tensor__(self, dtype=None, name=None):
        import tensorflow as tf

        return tf.convert_to_tensor(self.value, dtype=dtype, name=name)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        args = [_operand(arg) for arg in args]
        kwargs = {key: _operand(value) for key, value in (kwargs or {}).items()}
        return func(*args, **kwargs)


def _operand(value):
    return value.value if isinstance(value, GateView) else value


def _is_backend_tensor(value) -> bool:
    import keras

    return keras.ops.is_tensor(value) and not isinstance(value, np.ndarray)


def _numpy_dtype(dtype: str) -> np.dtype:
    if dtype == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(dtype)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _forward(op_name: str, reflected: bool = False):
    def method(self, other):
        op = getattr(_ops(), op_name)
        other = _operand(other)
        return op(other, self.value) if reflected else op(self.value, other)

    return method


def _unary(op_name: str):
    def method(self):
        return getattr(_ops(), op_name)(self.value)

    return method


# Operators forward to `keras.ops` on `self.value`, as `keras.Variable`'s do.
_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
    "floordiv": "floor_divide", "mod": "mod", "pow": "power", "matmul": "matmul",
    "and": "logical_and", "or": "logical_or", "xor": "logical_xor",
}
_COMPARISONS = {
    "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
    "gt": "greater", "ge": "greater_equal",
}
_UNARY = {"neg": "negative", "pos": "convert_to_tensor", "abs": "absolute", "invert": "logical_not"}

for _dunder, _op in _BINARY.items():
    setattr(GateView, f"__{_dunder}__", _forward(_op))
    setattr(GateView, f"__r{_dunder}__", _forward(_op, reflected=True))
for _dunder, _op in _COMPARISONS.items():
    setattr(GateView, f"__{_dunder}__", _forward(_op))
for _dunder, _op in _UNARY.items():
    setattr(GateView, f"__{_dunder}__", _unary(_op))
del _dunder, _op
