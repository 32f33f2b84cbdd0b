"""Backend switches in a notebook, import orders, threads."""

import os
import random
import subprocess
import sys
import textwrap
import threading

import keras

import keras_gates
from keras_gates import table
from support import BACKEND

# TensorFlow and PyTorch in one process can crash, so switch to JAX (or from JAX to NumPy).
OTHER_BACKEND = "numpy" if BACKEND == "jax" else "jax"


def _run(*pieces: str) -> subprocess.CompletedProcess:
    code = "\n".join(textwrap.dedent(piece) for piece in pieces)
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=dict(os.environ), timeout=600)


CHECK_GATES = """
    def check_gates(keras):
        import numpy as np
        layer = keras.layers.GRU(3)
        layer.build((None, 2, 4))
        kernel = keras.ops.convert_to_numpy(layer.cell.kernel)
        np.testing.assert_array_equal(np.asarray(layer.kernel_r), kernel[:, 3:6])
        layer.kernel_r = np.ones((4, 3))
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.cell.kernel)[:, 3:6], 1)
        return keras.backend.backend()
"""


def test_set_backend_installs_on_the_new_keras_without_reimporting_keras_gates():
    result = _run(CHECK_GATES, f"""
        import warnings
        warnings.simplefilter("always")
        import keras_gates
        import keras
        print(check_gates(keras))
        with warnings.catch_warnings(record=True) as caught:
            keras.config.set_backend({OTHER_BACKEND!r})
            import keras as new_keras
            print(check_gates(new_keras))
        ours = [str(w.message) for w in caught if "keras_gates" in str(w.message)]
        assert not ours, ours
        assert keras_gates.is_installed()
        keras_gates.uninstall()
        assert not hasattr(new_keras.layers.GRU, "kernel_z")
        assert not hasattr(new_keras.layers.GRUCell, "__setattr__") or \\
            "__setattr__" not in vars(new_keras.layers.GRUCell)
        print("ok")
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [BACKEND, OTHER_BACKEND, "ok"]


def test_set_backend_then_reimporting_keras_gates_gives_no_duplicate_warnings():
    result = _run(CHECK_GATES, f"""
        import warnings
        import keras_gates
        import keras
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            keras.config.set_backend({OTHER_BACKEND!r})
            import keras_gates as again
            import keras as new_keras
            again.install()
            keras_gates.install()  # the old module object still works
            print(check_gates(new_keras))
        ours = [str(w.message) for w in caught if "keras_gates" in str(w.message)]
        assert not ours, ours
        again.uninstall()
        left = [n for n, v in vars(new_keras.layers.LSTM).items() if getattr(v, "keras_gates", 0)]
        assert not left, left
        print("ok")
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [OTHER_BACKEND, "ok"]


def test_import_orders_and_reload():
    result = _run(CHECK_GATES, """
        import importlib, warnings
        warnings.filterwarnings("error", message=".*keras_gates")
        import keras_gates
        import keras_gates
        importlib.reload(keras_gates)
        import keras
        importlib.reload(keras_gates)
        print(check_gates(keras))
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [BACKEND]


def test_importing_from_several_threads_at_once():
    result = _run(CHECK_GATES, """
        import threading, warnings
        warnings.filterwarnings("error", message=".*keras_gates")
        errors = []
        def work(first):
            try:
                if first:
                    import keras_gates, keras
                else:
                    import keras, keras_gates
                check_gates(keras)
            except BaseException as error:
                errors.append(repr(error))
        threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        assert not errors, errors
        import keras_gates
        print(keras_gates.is_installed())
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["True"]


def _state():
    """For every table class and slot: is our attribute there?"""
    return {(target.cls, slot.name): slot.name in vars(target.cls)
            for target in table.resolve(keras) for slot in target.family.slots}


def test_install_and_uninstall_racing_in_threads_end_consistent():
    barrier = threading.Barrier(8)

    def churn(seed):
        rng = random.Random(seed)
        barrier.wait()
        for _ in range(40):
            (keras_gates.install if rng.random() < 0.5 else keras_gates.uninstall)()

    threads = [threading.Thread(target=churn, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = set(_state().values())
    assert state == {keras_gates.is_installed()}  # all present or all absent, never a mix
    keras_gates.uninstall()
    assert set(_state().values()) == {False}
    keras_gates.install()
    assert set(_state().values()) == {True}
