"""Each test process runs one Keras backend, named by KERAS_BACKEND (see run_backends.py)."""

import os

import pytest

REQUESTED_BACKEND = os.environ.get("KERAS_BACKEND")


def pytest_configure(config):
    if not REQUESTED_BACKEND:
        raise pytest.UsageError(
            "Set KERAS_BACKEND (tensorflow, jax, torch or numpy), or run every backend "
            "with `python tests/run_backends.py`."
        )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_report_header(config):
    return f"keras_gates tests on KERAS_BACKEND={REQUESTED_BACKEND}"


@pytest.fixture(autouse=True)
def _installed():
    """Every test starts and ends with the attributes installed."""
    import keras_gates

    keras_gates.install()
    yield
    keras_gates.install()
