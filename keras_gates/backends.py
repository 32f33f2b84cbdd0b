"""How each Keras backend reads a gate as NumPy and writes a gate slice.

One small class per backend. `for_current_backend()` picks one from
`keras.backend.backend()`; each imports its framework inside its methods, so
this module imports no framework (the framework is already loaded by Keras
whenever these methods run).
"""

from __future__ import annotations

import functools

import numpy as np

from . import internals
from .table import Index


def _start_indices(index: Index) -> list:
    return [(item.start or 0) if isinstance(item, slice) else item for item in index]


def _full_rank(update, index: Index):
    """Give `update` back the axes that integer entries of `index` dropped."""
    import keras

    for axis, item in enumerate(index):
        if not isinstance(item, slice):
            update = keras.ops.expand_dims(update, axis)
    return update


def rebuilt(array, index: Index, update):
    """A new array equal to `array` with `array[index]` replaced by `update`.

    Traceable on every backend (it is `keras.ops.slice_update`), so it also
    serves writes recorded inside a `StatelessScope`.
    """
    import keras

    return keras.ops.slice_update(array, _start_indices(index), _full_rank(update, index))


class Strategy:
    """The default strategy: arrays are immutable, a write rebuilds the variable."""

    name = "default"

    def storage_numpy(self, variable) -> np.ndarray:
        """A NumPy array that shares memory with the variable's storage."""
        return np.asarray(internals.storage(variable))

    def write(self, variable, index: Index, update, what: str) -> None:
        """Write `update` into `variable[index]` (no StatelessScope is active).

        `what` names the attribute for error messages.
        """
        internals.direct_assign(variable, rebuilt(internals.storage(variable), index, update))


class JaxStrategy(Strategy):
    """JAX arrays are immutable: NumPy views are read-only snapshots of the
    current buffer (zero-copy on CPU), and a write assigns a rebuilt array."""

    name = "jax"

    def write(self, variable, index: Index, update, what: str) -> None:
        import jax

        value = rebuilt(internals.storage(variable), index, update)
        if isinstance(value, jax.core.Tracer):
            raise RuntimeError(
                f"Cannot write {what} inside a traced JAX function (jax.jit, jax.grad, "
                "...): the variable would keep a tracer. Write outside the traced "
                "function, or inside a `keras.StatelessScope`, which records the update."
            )
        internals.direct_assign(variable, value)


class TensorFlowStrategy(Strategy):
    """A read hands out the variable's buffer (TensorFlow aliases it; a later
    write to the variable then copies on write); a write is one strided-slice
    assign that moves only the slice."""

    name = "tensorflow"

    def storage_numpy(self, variable) -> np.ndarray:
        import tensorflow as tf

        storage = internals.storage(variable)
        if isinstance(storage, tf.distribute.DistributedValues):
            return np.asarray(storage.value())
        # `tf.Variable.numpy()` copies. The raw read aliases the buffer like
        # `value()` does, without its gradient-tape bookkeeping (a third of the cost).
        return np.asarray(tf.raw_ops.ReadVariableOp(resource=storage.handle, dtype=storage.dtype))

    def write(self, variable, index: Index, update, what: str) -> None:
        import tensorflow as tf

        storage = internals.storage(variable)
        if isinstance(storage, tf.distribute.DistributedValues):
            # A slice assign on a MirroredVariable reaches only the primary replica.
            parts = storage.distribute_strategy.experimental_local_results(storage)
        else:
            parts = (storage,)
        begin, end, shrink = _strided_slice(index, internals.shape_of(variable))
        for part in parts:
            # `part[index].assign(...)` would first read the slice it overwrites.
            tf.raw_ops.ResourceStridedSliceAssign(
                ref=part.handle, begin=begin, end=end, strides=[1] * len(begin),
                value=update, shrink_axis_mask=shrink)


def _strided_slice(index: Index, shape: tuple) -> tuple[list, list, int]:
    """`begin`, `end` and `shrink_axis_mask` of a basic index of ints and slices."""
    begin, end, shrink = [], [], 0
    for axis, (item, size) in enumerate(zip(index, shape)):
        if isinstance(item, slice):
            start, stop, _ = item.indices(size)
            begin.append(start)
            end.append(stop)
        else:
            begin.append(item)
            end.append(item + 1)
            shrink |= 1 << axis
    return begin, end, shrink


class TorchStrategy(Strategy):
    """A read is `parameter.detach().numpy()` (same memory on CPU); a write is an
    in-place `copy_` into the slice, which bumps the parameter's version counter."""

    name = "torch"

    def storage_numpy(self, variable) -> np.ndarray:
        import torch

        tensor = internals.storage(variable).detach()
        if tensor.device.type != "cpu":
            tensor = tensor.cpu()
        if tensor.dtype == torch.bfloat16:
            import ml_dtypes

            return tensor.float().numpy().astype(ml_dtypes.bfloat16)
        return tensor.numpy()

    def write(self, variable, index: Index, update, what: str) -> None:
        import torch

        target = internals.storage(variable)
        if isinstance(update, np.ndarray) and not update.flags.writeable:
            update = update.copy()  # torch warns on read-only NumPy input
        with torch.no_grad():
            target[index].copy_(torch.as_tensor(update, device=target.device))


class NumpyStrategy(Strategy):
    """Keras's inference-only NumPy backend: storage is an ndarray, written in place."""

    name = "numpy"

    def write(self, variable, index: Index, update, what: str) -> None:
        internals.storage(variable)[index] = update


_STRATEGIES = {
    "jax": JaxStrategy,
    "tensorflow": TensorFlowStrategy,
    "torch": TorchStrategy,
    "numpy": NumpyStrategy,
}


@functools.lru_cache(maxsize=None)
def for_backend(name: str) -> Strategy:
    return _STRATEGIES.get(name, Strategy)()


def for_current_backend() -> Strategy:
    import keras

    return for_backend(keras.backend.backend())
