"""Keras's own recurrent-layer tests, shipped in its wheel, pass with keras_gates installed."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import pytest

RNN_TESTS = Path(keras.__file__).parent / "src" / "layers" / "rnn"

RUNNER = """
    import sys
    import keras_gates  # before Keras, as a user's notebook would
    import pytest

    class CheckInstalled:
        def pytest_sessionfinish(self, session):
            import keras
            assert keras_gates.is_installed() and hasattr(keras.layers.GRU, "kernel_z")
            print("keras_gates was installed throughout")

    sys.exit(pytest.main(sys.argv[1:], plugins=[CheckInstalled()]))
"""


@pytest.mark.trains  # Keras's suite assumes a backend that can fit
@pytest.mark.keras_own_tests  # only wheels of recent Keras releases ship their tests
def test_keras_rnn_test_suite_passes_with_keras_gates_installed(tmp_path):
    files = sorted(str(path) for path in RNN_TESTS.glob("*_test.py"))
    assert len(files) >= 10, f"Keras's tests are not in this wheel: {RNN_TESTS}"
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RUNNER), "-q", "-p", "no:cacheprovider",
         "-p", "no:warnings", "--rootdir", str(tmp_path), *files],
        capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ), timeout=1800,
    )
    tail = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    assert "keras_gates was installed throughout" in result.stdout, tail
    assert " passed" in result.stdout and " failed" not in result.stdout, tail
