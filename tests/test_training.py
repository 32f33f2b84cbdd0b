"""Reading and writing gates from a callback during fit."""

import keras
import numpy as np
import pytest

from support import randomize, to_numpy

pytestmark = pytest.mark.trains


class GateProbe(keras.callbacks.Callback):
    """Reads kernel_z after every batch; zeroes it after batch 1."""

    def __init__(self):
        super().__init__()
        self.seen, self.truth, self.at_begin = [], [], {}

    def on_train_batch_begin(self, batch, logs=None):
        self.at_begin[batch] = np.array(self.model.get_layer("gru").kernel_z)

    def on_train_batch_end(self, batch, logs=None):
        gru = self.model.get_layer("gru")
        self.seen.append(np.array(gru.kernel_z))
        self.truth.append(to_numpy(gru.cell.kernel)[:, 0:4].copy())
        if batch == 1:
            gru.kernel_z = np.zeros((3, 4), "float32")


def test_callback_sees_current_values_and_its_write_reaches_the_next_step():
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.GRU(4, name="gru"),
                              keras.layers.Dense(1)])
    randomize(model, 4)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 5, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(16, 1)).astype("float32")
    probe = GateProbe()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[probe])

    assert len(probe.seen) == 4
    for seen, truth in zip(probe.seen, probe.truth):
        np.testing.assert_array_equal(seen, truth)  # the view reads what the model holds now
    assert not np.array_equal(probe.seen[0], probe.seen[1])  # ... which moves every step
    np.testing.assert_array_equal(probe.at_begin[2], np.zeros((3, 4)))  # the write is visible
    step = probe.seen[2]  # one SGD step away from zero, and not back to the old weights
    assert 0 < np.abs(step).max() < 0.1
    final = np.asarray(model.get_layer("gru").kernel_z)
    np.testing.assert_array_equal(final, probe.seen[-1])
