"""Side-by-side costs of keras_gates on the current Keras backend (KERAS_BACKEND).

    KERAS_BACKEND=jax python benchmarks/bench.py            # every section
    KERAS_BACKEND=torch python benchmarks/bench.py --sections read,write
    python benchmarks/run_all.py                             # every backend, one table

Each figure is a ratio of two ways of doing the same thing, measured in the same
process, each the minimum (medians for `fit`) of repeated runs; JAX work is
waited for with `block_until_ready`. Targets are those of the project's
performance issue; `met` says whether this run met them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_gates  # noqa: E402  (first, as users do: installs when keras is imported)
import keras  # noqa: E402
import numpy as np  # noqa: E402

BACKEND = keras.backend.backend()
UNITS = 1024  # LSTM units: the kernel is (input_dim, 4096) float32, 16 KiB per input row
SIZES_MIB = (1, 4, 16, 64, 256)


def best(function, number: int = 1, repeat: int = 7) -> float:
    """Seconds per call: the minimum over `repeat` runs of `number` calls."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def block(value=None):
    """Wait for device work (JAX dispatches asynchronously)."""
    if BACKEND == "jax":
        import jax

        jax.block_until_ready(value)
    return value


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def peak_rss_growth(function) -> int:
    """Bytes the peak RSS grows by while `function` runs and its result is alive."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM (the peak) to the current RSS
    before = _status_kib("VmRSS")
    result = function()
    peak = _status_kib("VmHWM")
    del result
    return max(0, peak - before) * 1024


def lstm_with_kernel(mib: int):
    input_dim = mib * 2**20 // (4 * 4 * UNITS)
    layer = keras.layers.LSTM(UNITS)
    layer.build((None, 1, input_dim))
    return layer


class Report:
    def __init__(self):
        self.rows: list[dict] = []
        self.tables: dict[str, list] = {}

    def add(self, key, measure, value, unit, target=None, met=None, note=""):
        self.rows.append(dict(key=key, measure=measure, value=value, unit=unit,
                              text=format_value(value, unit), target=target, met=met, note=note))
        met_text = "" if met is None else ("yes" if met else "NO")
        print(f"  {key:<5} {measure:<62} {format_value(value, unit):>12}  "
              f"{target or '':<10} {met_text}", flush=True)


FORMATS = {"ratio": "{:.3f}", "steps/s": "{:,.1f}/s", "ns": "{:,.0f} ns", "us": "{:,.1f} us",
           "ms": "{:,.2f} ms", "MiB": "{:,.3f} MiB"}


def format_value(value, unit):
    if unit == "x":
        return f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"
    return FORMATS.get(unit, "{}").format(value)


def section_read(report: Report):
    print("\n1. read one gate as NumPy: np.asarray(layer.kernel_f)")
    times = {}
    for mib in SIZES_MIB:
        layer = lstm_with_kernel(mib)
        u = UNITS
        np.asarray(layer.kernel_f)  # JAX caches the host view on first use
        gate = best(lambda: np.asarray(layer.kernel_f), number=200, repeat=15)
        times[mib] = gate
        if mib == 64:
            from keras_gates import backends

            strategy = backends.for_current_backend()
            floor = best(lambda: strategy.storage_numpy(layer.cell.kernel), number=200, repeat=15)
            report.add("1.floor", "backend's own zero-copy read of the whole kernel, 64 MiB",
                       floor * 1e6, "us", note="what any zero-copy read costs here")
        if mib in (1, 64, 256):
            by_hand = best(lambda: keras.ops.convert_to_numpy(layer.cell.kernel)[:, u:2 * u],
                           repeat=5)
            get_weights = best(lambda: layer.get_weights()[0][:, u:2 * u], repeat=5)
            large = mib >= 64  # the target is for large kernels; small ones are reported
            report.add(f"1.{mib}a", f"get_weights()[0][:, u:2u] / gate read, {mib} MiB kernel",
                       get_weights / gate, "x", ">= 1000x" if large else None,
                       get_weights / gate >= 1000 if large else None)
            report.add(f"1.{mib}b", f"convert_to_numpy(cell.kernel)[:, u:2u] / gate read, {mib} MiB",
                       by_hand / gate, "x", "> 1x", by_hand / gate > 1)
            if mib >= 64:
                grow_gate = peak_rss_growth(lambda: np.asarray(layer.kernel_f)) / 2**20
                grow_weights = peak_rss_growth(lambda: layer.get_weights()) / 2**20
                report.add(f"1.{mib}c", f"peak RSS growth, gate read, {mib} MiB kernel",
                           grow_gate, "MiB", "< 1 MiB", grow_gate < 1)
                report.add(f"1.{mib}d", f"peak RSS growth, get_weights(), {mib} MiB kernel",
                           grow_weights, "MiB")
        report.tables.setdefault("scale", []).append({"mib": mib, "read_us": gate * 1e6})
        del layer
        gc.collect()
    report.add("1.size", "gate read time, 256 MiB / 1 MiB kernel", times[256] / times[1], "x",
               "<= 1.5x", times[256] / times[1] <= 1.5)
    report.add("1.time", "gate read time, 64 MiB kernel", times[64] * 1e6, "us")


class _ThreeSlots:
    __slots__ = ("a", "b", "c")

    def __init__(self, a, b, c):
        self.a, self.b, self.c = a, b, c


class _Floor:
    """The least a Python attribute that makes a fresh 3-field object can cost."""

    @property
    def made(self):
        return _ThreeSlots(self, 1, 2)


def section_access(report: Report):
    print("\n2. attribute access: layer.kernel_f (creates the view, reads nothing)")
    layer = keras.layers.LSTM(64)
    layer.build((None, 1, 32))
    floor = _Floor()
    number, repeat = 20000, 25
    gate = best(lambda: layer.kernel_f, number, repeat)
    plain = best(lambda: layer.cell.kernel, number, repeat)
    python_floor = best(lambda: floor.made, number, repeat)
    empty = best(lambda: None, number, repeat)  # the timing loop's own cost, taken off both
    gate, plain, python_floor = (t - empty for t in (gate, plain, python_floor))
    target = 3 if BACKEND == "torch" else 10
    report.add("2a", "layer.kernel_f / layer.cell.kernel", gate / plain, "x",
               f"<= {target}x", gate / plain <= target)
    report.add("2b", "layer.kernel_f", gate * 1e9, "ns")
    report.add("2c", "layer.cell.kernel", plain * 1e9, "ns")
    report.add("2d", "CPython floor: a property returning a new 3-slot object", python_floor * 1e9,
               "ns", note="no pure-Python attribute that creates an object is cheaper")
    report.add("2e", "floor / layer.cell.kernel", python_floor / plain, "x")


def section_write(report: Report):
    print("\n3. write one gate of a 4-gate LSTM kernel (64 MiB) vs assigning the whole kernel")
    for mib in SIZES_MIB:
        layer = lstm_with_kernel(mib)
        kernel = layer.cell.kernel
        shape = tuple(kernel.shape)
        full = np.random.default_rng(0).normal(size=shape).astype("float32")
        gate_value = np.ascontiguousarray(full[:, UNITS:2 * UNITS])
        gc.collect()  # no NumPy view of the kernel may be alive: TensorFlow would copy on write

        def write_gate():
            layer.kernel_f.assign(gate_value)
            block(kernel.value)

        def write_all():
            kernel.assign(full)
            block(kernel.value)

        write_gate()
        write_all()
        repeat = 7 if mib <= 64 else 3
        gate = best(write_gate, repeat=repeat)
        whole = best(write_all, repeat=repeat)
        if mib == 64:
            from keras_gates import backends

            strategy = backends.for_current_backend()
            index = layer.kernel_f.index
            ready = keras.ops.convert_to_tensor(gate_value)

            def backend_slice_write():
                strategy.write(kernel, index, ready, "kernel_f")
                block(kernel.value)

            backend_slice_write()
            floor = best(backend_slice_write, repeat=repeat)
            report.add("3d", "backend's own slice write of a ready tensor, 64 MiB", floor * 1e3,
                       "ms", note="the framework's floor for moving one gate")
            target = 1.5 if BACKEND == "jax" else 0.5
            report.add("3a", "write one gate / assign whole kernel, 64 MiB", gate / whole, "x",
                       f"<= {target}x", gate / whole <= target)
            report.add("3b", "write one gate, 64 MiB kernel", gate * 1e3, "ms")
            report.add("3c", "assign whole kernel, 64 MiB", whole * 1e3, "ms")
        for row in report.tables["scale"]:
            if row["mib"] == mib:
                row.update(write_ms=gate * 1e3, assign_ms=whole * 1e3)
        del layer, kernel, full, gate_value
        gc.collect()


class _AlternateInstall(keras.callbacks.Callback):
    """Installs or uninstalls keras_gates before each batch (A B B A ...), timing each.

    Interleaving batch by batch inside one `fit` compares the two states under
    the same load, without `fit`'s per-call setup in the timings. The A B B A
    order cancels a step-to-step alternation that plain even/odd picks up
    (about 1.5% on TensorFlow, with nothing toggled at all).
    """

    def __init__(self):
        super().__init__()
        self.times = {True: [], False: []}
        self._start = 0.0

    def on_train_batch_begin(self, batch, logs=None):
        self._installed = batch % 4 in (0, 3)
        (keras_gates.install if self._installed else keras_gates.uninstall)()
        gc.collect(1)  # the toggle's own garbage must not be collected inside a timed step
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times[self._installed].append(time.perf_counter() - self._start)


def section_fit(report: Report):
    if BACKEND == "numpy":
        return
    print("\n4. training: model.fit steps per second, keras_gates installed vs uninstalled")
    steps, batch = 600, 32
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20, 32)), keras.layers.GRU(64, return_sequences=True),
                              keras.layers.LSTM(64), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(steps * batch, 20, 32)).astype("float32")
    y = np.random.default_rng(1).normal(size=(steps * batch, 1)).astype("float32")
    model.fit(x[:batch * 20], y[:batch * 20], batch_size=batch, epochs=1, verbose=0)  # warm up
    timer = _AlternateInstall()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False, callbacks=[timer])
    keras_gates.install()
    with_gates = 1 / statistics.median(timer.times[True])
    without = 1 / statistics.median(timer.times[False])
    ratio = with_gates / without
    report.add("4a", f"fit steps/s with / without keras_gates (median of {steps // 2} steps each)",
               ratio, "ratio", "0.98-1.02", 0.98 <= ratio <= 1.02)
    report.add("4b", "fit steps/s without keras_gates", without, "steps/s")
    code = ("import sys, time; t = time.perf_counter(); import keras_gates; "
            "t = time.perf_counter() - t; heavy = [m for m in ('keras', 'tensorflow', 'jax', "
            "'torch', 'numpy') if m in sys.modules]; print(t * 1e3, ','.join(heavy) or '-')")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(7)]
    import_ms = min(float(run[0]) for run in runs)
    imported = {run[1] for run in runs}
    report.add("4c", "import keras_gates (keras not imported), fresh process", import_ms, "ms",
               "< 20 ms", import_ms < 20)
    report.add("4d", "frameworks that import keras_gates loaded", ",".join(sorted(imported)), "",
               "-", imported == {"-"})


# Training first, before the large kernels of the other sections have churned the heap.
SECTIONS = {"fit": section_fit, "access": section_access, "read": section_read,
            "write": section_write}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.sections.split(",") if name.strip()]
    if "write" in chosen and "read" not in chosen:
        chosen.insert(0, "read")  # the write section fills the read section's scale table
    framework = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(BACKEND)
    version = __import__(framework).__version__ if framework else np.__version__
    print(f"keras_gates {keras_gates.__version__} benchmarks: backend {BACKEND} {version}, "
          f"Keras {keras.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPU(s), {platform.machine()}")
    report = Report()
    for name in chosen:
        SECTIONS[name](report)
    print("\n5. scale: kernel size -> gate read, gate write, whole-kernel assign")
    for row in report.tables.get("scale", []):
        print(f"  {row['mib']:>4} MiB  read {row['read_us']:8.1f} us   "
              f"write {row.get('write_ms', float('nan')):8.2f} ms   "
              f"assign {row.get('assign_ms', float('nan')):8.2f} ms")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"backend": BACKEND, "version": version, "keras": keras.__version__,
                       "rows": report.rows, "tables": report.tables}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
