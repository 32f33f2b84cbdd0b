"""Installing: lazily on `import keras`, idempotent, reversible, never overwriting."""

import os
import subprocess
import sys
import textwrap
import warnings

import keras
import pytest

import keras_gates
from keras_gates import patch, table
from keras_gates.attributes import GateAttribute

CLASSES = [keras.layers.GRU, keras.layers.GRUCell, keras.layers.LSTM, keras.layers.LSTMCell,
           keras.layers.ConvLSTM1D, keras.layers.ConvLSTM2D, keras.layers.ConvLSTM3D]
FRAMEWORKS = ("keras", "tensorflow", "jax", "torch")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=dict(os.environ), timeout=300)


def test_import_keras_gates_imports_no_framework_then_installs_on_keras_import():
    result = _run(f"""
        import sys
        import keras_gates
        loaded = [m for m in {FRAMEWORKS!r} if m in sys.modules]
        assert not loaded, loaded
        assert "numpy" not in sys.modules
        import keras
        assert keras_gates.is_installed()
        layer = keras.layers.LSTM(2)
        layer.build((None, 3, 4))
        print(keras.backend.backend(), layer.kernel_f.shape)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [keras.backend.backend(), "(4,", "2)"]


def test_import_after_keras_installs_at_once():
    result = _run("""
        import keras
        assert not hasattr(keras.layers.GRU, "kernel_z")
        import keras_gates
        print(hasattr(keras.layers.GRU, "kernel_z"), hasattr(keras.layers.GRUCell, "bias_h"))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_uninstall_restores_vars_exactly_and_install_is_idempotent():
    keras_gates.uninstall()
    assert not keras_gates.is_installed()
    pristine = {cls: dict(vars(cls)) for cls in CLASSES}
    assert not hasattr(keras.layers.GRU, "kernel_z")
    keras_gates.install()
    once = {cls: dict(vars(cls)) for cls in CLASSES}
    keras_gates.install()
    assert {cls: dict(vars(cls)) for cls in CLASSES} == once
    assert len(once[keras.layers.GRU]) - len(pristine[keras.layers.GRU]) >= 15
    assert len(once[keras.layers.LSTM]) - len(pristine[keras.layers.LSTM]) >= 12
    keras_gates.uninstall()
    keras_gates.uninstall()
    assert {cls: dict(vars(cls)) for cls in CLASSES} == pristine
    keras_gates.install()
    assert keras_gates.is_installed()


def test_every_table_class_and_slot_is_installed():
    for target in table.resolve(keras):
        for slot in target.family.slots:
            assert isinstance(vars(target.cls)[slot.name], GateAttribute), (target.cls, slot.name)
    convlstm_cell = type(keras.layers.ConvLSTM2D(2, 2).cell)
    assert "kernel_i" in vars(convlstm_cell)


def test_existing_attribute_is_kept_with_a_warning():
    keras_gates.uninstall()
    sentinel = object()
    keras.layers.LSTM.kernel_i = sentinel
    try:
        with pytest.warns(RuntimeWarning, match=r"LSTM already defines `kernel_i`"):
            keras_gates.install()
        assert vars(keras.layers.LSTM)["kernel_i"] is sentinel
        assert isinstance(vars(keras.layers.LSTM)["kernel_f"], GateAttribute)
        keras_gates.uninstall()
        assert vars(keras.layers.LSTM)["kernel_i"] is sentinel
    finally:
        del keras.layers.LSTM.kernel_i
        keras_gates.install()


def test_a_failing_install_warns_instead_of_raising(monkeypatch):
    keras_gates.uninstall()

    def broken(_):
        raise RuntimeError("boom")

    monkeypatch.setattr(table, "resolve", broken)
    with pytest.warns(RuntimeWarning, match="could not add the gate attributes.*boom"):
        patch.install_or_warn()
    assert not keras_gates.is_installed()


def test_import_keras_survives_a_failing_hook():
    result = _run("""
        import warnings
        import keras_gates.table
        def broken(_):
            raise RuntimeError("boom")
        keras_gates.table.resolve = broken
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import keras
        assert any("boom" in str(w.message) for w in caught), [str(w.message) for w in caught]
        print(keras.layers.GRU(2).units)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2"]


def test_install_is_silent_when_nothing_conflicts():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras_gates.install()
        keras_gates.uninstall()
        keras_gates.install()
