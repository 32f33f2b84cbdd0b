"""Errors raised by keras_gates."""


class NotBuiltError(AttributeError):
    """A gate attribute was read on a layer or cell whose weights do not exist yet.

    It subclasses `AttributeError`, so `hasattr(layer, "kernel_z")` is `False`
    until the layer is built.
    """
