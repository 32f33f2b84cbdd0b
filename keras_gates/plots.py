"""Pictures of gates: weight heatmaps with recurrent eigenvalues, and traces over time.

Needs matplotlib (`pip install 'keras_gates[plot]'`). Both functions return a
`matplotlib.figure.Figure` and never call `show()`: display it in a notebook,
or `fig.savefig("gates.png")`.
"""

from __future__ import annotations

import numpy as np

from .introspect import holders

INSTALL_HINT = "pip install 'keras_gates[plot]'"


def require_matplotlib():
    """The `Figure` class, or an ImportError that says which extra to install."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"keras_gates plots need matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None
    return Figure


def _figure(**kwargs):
    return require_matplotlib()(layout="constrained", **kwargs)


def plot_weights(layer):
    """One heatmap per gate of the kernel and recurrent kernel, on one diverging scale,
    and the eigenvalues of each recurrent gate matrix against the unit circle."""
    found = holders(layer)
    if len(found) != 1:
        raise ValueError(
            "`plot_weights()` draws one GRU, LSTM or ConvLSTM layer or cell; for a "
            "Bidirectional pass `layer.forward_layer` or `layer.backward_layer`. "
            f"Received: layer={layer!r}")
    holder = found[0]
    gates = holder.family.gates
    rows = [(part, [np.asarray(getattr(holder.obj, f"{part}_{g.letter}")) for g in gates])
            for part in ("kernel", "recurrent_kernel")]
    matrices = [m.reshape(-1, m.shape[-1]) for _, row in rows for m in row]
    scale = max(float(np.abs(m).max()) for m in matrices) or 1.0
    square = all(m.ndim == 2 and m.shape[0] == m.shape[1] for m in rows[1][1])

    fig = _figure(figsize=(3.0 * (len(gates) + 1), 6.0))
    grid = fig.add_gridspec(2, len(gates) + 1)
    image = None
    for row_index, (part, row) in enumerate(rows):
        for column, (gate, matrix) in enumerate(zip(gates, row)):
            axes = fig.add_subplot(grid[row_index, column])
            image = axes.imshow(matrix.reshape(-1, matrix.shape[-1]), cmap="RdBu_r",
                                vmin=-scale, vmax=scale, aspect="auto", interpolation="nearest")
            axes.set_title(f"{part}_{gate.letter}\n{gate.meaning}", fontsize=9)
            axes.set_xlabel("unit", fontsize=8)
            axes.set_ylabel("input" if part == "kernel" else "unit (t-1)", fontsize=8)
            axes.tick_params(labelsize=7)
    fig.colorbar(image, ax=fig.axes, location="left", shrink=0.6, label="weight")

    eigen = fig.add_subplot(grid[:, len(gates)])
    eigen.add_patch(_unit_circle())
    if square:
        for gate, matrix in zip(gates, rows[1][1]):
            values = np.linalg.eigvals(matrix.astype("float64"))
            eigen.scatter(values.real, values.imag, s=12, label=f"recurrent_kernel_{gate.letter}")
        eigen.legend(fontsize=7, loc="upper right")
    else:
        eigen.text(0, 0, "no eigenvalues:\nconvolutional\nrecurrent kernels", ha="center",
                   va="center", fontsize=8)
    eigen.set_aspect("equal", adjustable="datalim")
    eigen.axhline(0, color="0.8", lw=0.5)
    eigen.axvline(0, color="0.8", lw=0.5)
    eigen.set_title("eigenvalues of the\nrecurrent gate matrices", fontsize=9)
    eigen.set_xlabel("real", fontsize=8)
    eigen.set_ylabel("imaginary", fontsize=8)
    fig.suptitle(f"{holder.family.name} '{getattr(layer, 'name', '')}': gate weights")
    return fig


def _unit_circle():
    from matplotlib.patches import Circle

    return Circle((0, 0), 1.0, fill=False, color="0.4", lw=1, ls="--")


def plot_trace(result, sample: int = 0):
    """Each gate's activations as a units x time heatmap on its activation's range,
    and the hidden state below, for one sample of a `trace()` result."""
    from .trace import Trace

    if not isinstance(result, Trace):
        raise ValueError(
            "`plot_trace()` draws one `Trace`; for a Bidirectional pass "
            f"`result['forward']` or `result['backward']`. Received: {type(result).__name__}")
    batch = result["state"].shape[0]
    if not 0 <= sample < batch:
        raise ValueError(f"`sample` must be in [0, {batch}). Received: sample={sample}")
    keys = list(result.gates) + ["state"]
    fig = _figure(figsize=(8.0, 1.9 * len(keys)))
    for index, key in enumerate(keys):
        axes = fig.add_subplot(len(keys), 1, index + 1)
        values = result[key][sample]
        values = values.reshape(values.shape[0], -1).T  # (units, time)
        if key == "state":
            bound = float(np.abs(values).max()) or 1.0
            low, high, cmap = -bound, bound, "RdBu_r"
        else:
            low, high = result.ranges[key]
            cmap = "viridis"
        image = axes.imshow(values, aspect="auto", cmap=cmap, vmin=low, vmax=high,
                            interpolation="nearest")
        axes.set_ylabel("unit", fontsize=8)
        axes.set_title(f"{key}: {result.meanings[key]}", fontsize=9, loc="left")
        axes.tick_params(labelsize=7)
        fig.colorbar(image, ax=axes, pad=0.01)
    axes.set_xlabel("time step (in the order the layer processed them)", fontsize=8)
    fig.suptitle(f"{result.family} '{result.layer_name}', sample {sample}")
    return fig
