"""Sharded and mirrored variables, in subprocesses that set up several CPU devices."""

import os
import subprocess
import sys
import textwrap

from support import BACKEND


def _run(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=dict(os.environ, **env), timeout=600)


JAX_MODEL_PARALLEL = """
    import jax, keras, numpy as np
    import keras_gates

    devices = jax.devices()
    assert len(devices) == 4, devices
    mesh = keras.distribution.DeviceMesh((2, 2), axis_names=("batch", "model"), devices=devices)
    layout_map = keras.distribution.LayoutMap(mesh)
    # GRU(4): 12 kernel columns in 2 shards of 6; gates start at 0, 4, 8, so the
    # r gate straddles the shard boundary.
    layout_map[".*gru_cell/kernel"] = (None, "model")
    layout_map[".*gru_cell/recurrent_kernel"] = (None, "model")
    keras.distribution.set_distribution(keras.distribution.ModelParallel(
        device_mesh=mesh, layout_map=layout_map, batch_dim_name="batch"))

    model = keras.Sequential([keras.Input((5, 3)), keras.layers.GRU(4, name="gru"),
                              keras.layers.Dense(1)])
    gru = model.get_layer("gru")
    kernel = gru.cell.kernel
    sharding = kernel.value.sharding
    assert len(sharding.device_set) == 4 and not sharding.is_fully_replicated, sharding
    shard_widths = {s.data.shape[1] for s in kernel.value.addressable_shards}
    assert shard_widths == {6}, shard_widths

    full = np.array(kernel.value)
    np.testing.assert_array_equal(np.asarray(gru.kernel_r), full[:, 4:8])
    np.testing.assert_array_equal(np.asarray(gru.recurrent_kernel_h), np.asarray(gru.cell.recurrent_kernel.value)[:, 8:12])

    gru.kernel_r = np.full((3, 4), 2.0, "float32")
    full[:, 4:8] = 2.0
    np.testing.assert_array_equal(np.asarray(kernel.value), full)
    assert kernel.value.sharding == sharding, (kernel.value.sharding, sharding)

    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 5, 3)).astype("float32")
    y = np.zeros((8, 1), "float32")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert kernel.value.sharding == sharding
    assert not np.array_equal(np.asarray(gru.kernel_r), np.full((3, 4), 2.0))
    print("ok")
"""

TF_MIRRORED = """
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    import keras_gates

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(3, name="lstm"),
                                  keras.layers.Dense(1)])
    lstm = model.get_layer("lstm")
    replicas = strategy.experimental_local_results(lstm.cell.kernel.value)
    assert len(replicas) == 2
    full = replicas[0].numpy()
    np.testing.assert_array_equal(np.asarray(lstm.kernel_f), full[:, 3:6])

    lstm.kernel_f = np.full((3, 3), 5.0, "float32")
    lstm.bias_o[...] = -1.0
    for replica in strategy.experimental_local_results(lstm.cell.kernel.value):
        np.testing.assert_array_equal(replica.numpy()[:, 3:6], np.full((3, 3), 5.0))
        np.testing.assert_array_equal(replica.numpy()[:, :3], full[:, :3])
    for replica in strategy.experimental_local_results(lstm.cell.bias.value):
        np.testing.assert_array_equal(replica.numpy()[9:12], -np.ones(3))

    with strategy.scope():
        model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 5, 3)).astype("float32")
    model.fit(x, np.zeros((8, 1), "float32"), epochs=1, batch_size=4, verbose=0)
    first, second = (r.numpy() for r in strategy.experimental_local_results(lstm.cell.kernel.value))
    np.testing.assert_array_equal(first, second)
    print("ok")
"""


if BACKEND == "jax":

    def test_jax_model_parallel_with_gates_across_shard_boundaries():
        result = _run(JAX_MODEL_PARALLEL, XLA_FLAGS="--xla_force_host_platform_device_count=4")
        assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


if BACKEND == "tensorflow":

    def test_tensorflow_mirrored_write_reaches_every_replica():
        result = _run(TF_MIRRORED)
        assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
