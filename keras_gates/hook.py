"""Install the gate attributes whenever Keras is imported, including re-imports.

A wrapt post-import hook runs when `keras` is imported (or at once, if it
already is), and fires once per registration. `keras.config.set_backend`
deletes every `keras*` module (this package too) and imports Keras again, so a
tiny meta path finder re-registers the hook whenever Keras is about to be
imported. Importing this module imports neither Keras nor a backend.
"""

from __future__ import annotations

import sys
import threading

import wrapt

_lock = threading.Lock()
_armed = False  # a registration is waiting in wrapt for the next `import keras`


def _on_keras_imported(_module) -> None:
    global _armed
    with _lock:
        _armed = False
    # After set_backend this imports a fresh keras_gates, which installs itself.
    from keras_gates.patch import install_or_warn

    install_or_warn()


def _arm() -> None:
    global _armed
    with _lock:
        if _armed:
            return
        _armed = True
    wrapt.register_post_import_hook(_on_keras_imported, "keras")


class _KerasImportWatcher:
    """Finds nothing; re-arms the wrapt hook each time Keras is about to be imported."""

    keras_gates = True

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "keras":
            _arm()
        return None


def start() -> None:
    """Install now if Keras is imported, and on every later import of Keras."""
    _arm()  # may put wrapt's own finder first in sys.meta_path; ours must precede it
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "keras_gates", False)]
    sys.meta_path.insert(0, _KerasImportWatcher())
