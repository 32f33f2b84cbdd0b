"""With keras_gates installed, Keras weights, saving and training behave exactly as without."""

import json
import zipfile

import h5py
import keras
import numpy as np
import pytest

import keras_gates
from support import BACKEND, randomize, to_numpy


def _model():
    inputs = keras.Input((5, 3))
    x = keras.layers.GRU(4, return_sequences=True, name="gru")(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(3, name="lstm"), name="bi")(x)
    outputs = keras.layers.Dense(1, name="dense")(x)
    model = keras.Model(inputs, outputs)
    randomize(model, 5)
    return model


def _h5_contents(path):
    contents = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: contents.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return contents


def _keras_file_contents(path, tmp_path):
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
        metadata.pop("date_saved", None)
        archive.extract("model.weights.h5", tmp_path)
    weights = _h5_contents(tmp_path / "model.weights.h5")
    return names, config, metadata, weights


def _assert_same_contents(a, b):
    assert a[:3] == b[:3]
    assert sorted(a[3]) == sorted(b[3])
    for key in a[3]:
        np.testing.assert_array_equal(a[3][key], b[3][key], err_msg=key)


def test_keras_file_is_identical_with_and_without(tmp_path):
    model = _model()
    model.get_layer("gru").kernel_z  # touch a view: reading must leave no trace
    model.save(tmp_path / "with.keras")
    keras_gates.uninstall()
    model.save(tmp_path / "without.keras")
    keras_gates.install()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _assert_same_contents(_keras_file_contents(tmp_path / "with.keras", tmp_path / "a"),
                          _keras_file_contents(tmp_path / "without.keras", tmp_path / "b"))


def test_weights_file_is_identical_and_round_trips(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "with.weights.h5")
    keras_gates.uninstall()
    model.save_weights(tmp_path / "without.weights.h5")
    keras_gates.install()
    a, b = _h5_contents(tmp_path / "with.weights.h5"), _h5_contents(tmp_path / "without.weights.h5")
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    other = _model()
    randomize(other, 9)
    other.load_weights(tmp_path / "with.weights.h5")
    np.testing.assert_array_equal(np.asarray(other.get_layer("gru").recurrent_kernel_h),
                                  np.asarray(model.get_layer("gru").recurrent_kernel_h))


def test_loaded_model_has_the_attributes_and_same_weights(tmp_path):
    model = _model()
    model.get_layer("gru").bias_r = np.full((2, 4), 0.25, "float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    for mine, theirs in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(np.asarray(loaded.get_layer("gru").bias_r), np.full((2, 4), 0.25))
    forward = loaded.get_layer("bi").forward_layer
    np.testing.assert_array_equal(np.asarray(forward.kernel_o),
                                  to_numpy(forward.cell.kernel)[:, 9:12])
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(loaded(x)), to_numpy(model(x)), rtol=1e-6)


def test_weight_lists_and_parameters_are_unchanged():
    def inventory():
        keras.backend.clear_session()
        model = _model()
        if keras_gates.is_installed():
            model.get_layer("gru").kernel_h  # reading a gate must not register anything
        items = [(w.path, tuple(w.shape)) for w in model.weights]
        trainable = len(model.trainable_weights)
        if BACKEND == "torch":
            trainable = (trainable, len(list(model.parameters())))
        return items, trainable

    with_gates = inventory()
    keras_gates.uninstall()
    without = inventory()
    keras_gates.install()
    assert with_gates == without
    assert len(with_gates[0]) == 11


@pytest.mark.trains
def test_fit_gives_identical_weights_with_and_without():
    x = np.random.default_rng(1).normal(size=(16, 5, 3)).astype("float32")
    y = np.random.default_rng(2).normal(size=(16, 1)).astype("float32")

    def train():
        keras.utils.set_random_seed(0)
        model = _model()
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        return model.get_weights(), history.history["loss"]

    weights_with, loss_with = train()
    keras_gates.uninstall()
    weights_without, loss_without = train()
    keras_gates.install()
    np.testing.assert_allclose(loss_with, loss_without, rtol=1e-6)
    for a, b in zip(weights_with, weights_without):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(weights_with[0], _model().get_weights()[0])  # training moved weights


def _export(model, path):
    """`model.export`, or the first line of its error (the same with and without)."""
    try:
        model.export(str(path), verbose=False)
        return None
    except Exception as error:  # noqa: BLE001 - compared, not hidden
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def _checkpoint(path):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(path / "variables" / "variables"))
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()}


def _assert_same_checkpoint(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        if key != "_CHECKPOINTABLE_OBJECT_GRAPH":
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_pickle_and_deepcopy_round_trip():
    import copy
    import pickle

    model = _model()
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        gru, original = clone.get_layer("gru"), model.get_layer("gru")
        assert gru.cell.kernel is not original.cell.kernel
        for mine, theirs in zip(model.get_weights(), clone.get_weights()):
            np.testing.assert_array_equal(mine, theirs)
        gru.kernel_z = np.zeros((3, 4), "float32")  # the clone's views are its own
        assert not np.array_equal(np.asarray(original.kernel_z), np.zeros((3, 4)))


def test_export_behaves_the_same_with_and_without(tmp_path):
    model = _model()
    with_gates = _export(model, tmp_path / "with")
    keras_gates.uninstall()
    without = _export(model, tmp_path / "without")
    keras_gates.install()
    assert with_gates == without
    if with_gates is None and BACKEND in ("tensorflow", "jax"):
        _assert_same_checkpoint(_checkpoint(tmp_path / "with"), _checkpoint(tmp_path / "without"))


if BACKEND == "tensorflow":

    def test_tf_saved_model_is_identical_with_and_without(tmp_path):
        import tensorflow as tf

        model = _model()
        tf.saved_model.save(model, str(tmp_path / "with"))
        keras_gates.uninstall()
        tf.saved_model.save(model, str(tmp_path / "without"))
        keras_gates.install()
        _assert_same_checkpoint(_checkpoint(tmp_path / "with"), _checkpoint(tmp_path / "without"))
        values = [k for k in _checkpoint(tmp_path / "with") if k.endswith("VARIABLE_VALUE")]
        assert len(values) >= len(model.weights)
        assert tf.saved_model.load(str(tmp_path / "with")) is not None


def test_saving_calls_getters_but_reads_no_weight(tmp_path, monkeypatch):
    import copy
    import pickle

    from keras_gates import view

    counts = {"views": 0, "reads": 0}
    original_init = view.GateView.__init__

    def counting_init(self, *args, **kwargs):
        counts["views"] += 1
        original_init(self, *args, **kwargs)

    def no_read(*args, **kwargs):
        counts["reads"] += 1
        raise AssertionError("a weight was read while saving")

    monkeypatch.setattr(view.GateView, "__init__", counting_init)
    monkeypatch.setattr(view.GateView, "numpy", no_read)
    monkeypatch.setattr(view.GateView, "__array__", no_read)
    monkeypatch.setattr(view.GateView, "value", property(no_read))
    model = _model()
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    pickle.dumps(model)
    copy.deepcopy(model)
    assert counts["views"] > 0  # saving walks dir(layer) and calls the getters ...
    assert counts["reads"] == 0  # ... which read nothing
