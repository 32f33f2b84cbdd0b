"""Run benchmarks/bench.py on TensorFlow, JAX and PyTorch (one process each) and print one table.

    python benchmarks/run_all.py                    # all three backends, every section
    python benchmarks/run_all.py --backends jax --sections read

The table is Markdown, ready for the README's Performance section.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")


def run(backend: str, sections: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        print(f"=== {backend}", flush=True)
        subprocess.run([sys.executable, str(HERE / "bench.py"), "--sections", sections,
                        "--json", str(out)], env=env, check=True)
        return json.loads(out.read_text())


def cell(row: dict | None) -> str:
    if row is None:
        return ""
    text = row["text"]
    if row["met"] is False:
        text += " (missed)"
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--sections", default="fit,access,read,write")
    args = parser.parse_args(argv)
    results = {b: run(b, args.sections) for b in args.backends.split(",") if b}

    keys, info = [], {}
    for result in results.values():
        for row in result["rows"]:
            if row["key"] not in info:
                keys.append(row["key"])
                info[row["key"]] = row
    order = sorted(keys, key=lambda k: (k.split(".")[0][0], keys.index(k)))
    names = list(results)
    print("\n| | measure | target | " + " | ".join(
        f"{b} {results[b]['version']}" for b in names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    missed = []
    for key in order:
        rows = {b: next((r for r in results[b]["rows"] if r["key"] == key), None) for b in names}
        targets = {b: rows[b]["target"] for b in names if rows[b] and rows[b]["target"]}
        if len(set(targets.values())) > 1:  # e.g. JAX's write target differs
            target = "; ".join(f"{b}: {t}" for b, t in targets.items())
        else:
            target = next(iter(targets.values()), "")
        print(f"| {key} | {info[key]['measure']} | {target} | "
              + " | ".join(cell(rows[b]) for b in names) + " |")
        missed += [f"{key} on {b}" for b in names if rows[b] and rows[b]["met"] is False]

    print("\nScale (gate read / gate write / whole-kernel assign):\n")
    print("| kernel | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    sizes = [row["mib"] for row in next(iter(results.values()))["tables"].get("scale", [])]
    for mib in sizes:
        cells = []
        for b in names:
            row = next(r for r in results[b]["tables"]["scale"] if r["mib"] == mib)
            cells.append(f"{row['read_us']:.1f} us / {row.get('write_ms', float('nan')):.2f} ms"
                         f" / {row.get('assign_ms', float('nan')):.2f} ms")
        print(f"| {mib} MiB | " + " | ".join(cells) + " |")
    print("\nmissed targets: " + (", ".join(missed) if missed else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
