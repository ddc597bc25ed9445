"""Snorkel's side of ``labeling.py``; runs in Snorkel's own venv (see ``peer_env.py``).

Usage (``labeling.py`` calls it; the files are how data goes in and results come out)::

    python _snorkel_labeling.py apply DATA.parquet OUT.npy [--repeats N] [--max-seconds S]
    python _snorkel_labeling.py fit L.npy OUT_PROBA.npy [--epochs 100] [--seed 0] [--repeats N]

``apply`` builds the ten LFs of ``_labeling_lfs.py`` with Snorkel's
``@labeling_function`` and applies them with ``PandasLFApplier``; ``fit`` fits Snorkel's
``LabelModel`` on a saved label matrix. Each prints one JSON object with the seconds
the work itself took (reading inputs and importing Snorkel are not timed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _labeling_lfs import ABSTAIN, compiled_lfs


def _versions() -> dict[str, str]:
    return {name: version(name) for name in ("snorkel", "torch", "numpy", "pandas")}


def snorkel_lfs() -> list[Any]:
    """The benchmark's LFs as Snorkel users write them: one decorated function each."""
    from snorkel.labeling import labeling_function

    lfs = []
    for name, regex, label in compiled_lfs():

        def make(regex: Any = regex, label: int = label, name: str = name) -> Any:
            @labeling_function(name=name)
            def lf(x: Any) -> int:
                return label if regex.search(x.text) else ABSTAIN

            return lf

        lfs.append(make())
    return lfs


def apply(args: argparse.Namespace) -> dict[str, Any]:
    from snorkel.labeling import PandasLFApplier

    frame = pd.read_parquet(args.data)
    applier = PandasLFApplier(snorkel_lfs())
    runs: list[float] = []
    L = None
    while len(runs) < args.repeats:
        print(f"snorkel: PandasLFApplier run {len(runs) + 1} on {len(frame):,} rows", file=sys.stderr)
        start = time.perf_counter()
        L = applier.apply(frame, progress_bar=False)
        runs.append(time.perf_counter() - start)
        if sum(runs) > args.max_seconds:
            break
    np.save(args.out, np.asarray(L, dtype=np.int8))
    return {"rows": len(frame), "seconds": runs, "versions": _versions()}


def fit(args: argparse.Namespace) -> dict[str, Any]:
    from snorkel.labeling.model import LabelModel

    L = np.load(args.L).astype(np.int64)
    runs: list[float] = []
    while len(runs) < args.repeats:
        print(
            f"snorkel: LabelModel.fit run {len(runs) + 1} on {L.shape[0]:,} × {L.shape[1]}", file=sys.stderr
        )
        model = LabelModel(cardinality=2, verbose=False)
        start = time.perf_counter()
        model.fit(L, n_epochs=args.epochs, seed=args.seed, progress_bar=False)
        runs.append(time.perf_counter() - start)
        if sum(runs) > args.max_seconds:
            break
    start = time.perf_counter()
    proba = model.predict_proba(L)
    predict_seconds = time.perf_counter() - start
    np.save(args.out, proba.astype(np.float64))
    return {
        "fit_seconds": runs,
        "predict_proba_seconds": predict_seconds,
        "lf_accuracies": [float(w) for w in model.get_weights()],
        "versions": _versions(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("apply")
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=0.0, help="no further runs once this is spent")
    p = commands.add_parser("fit")
    p.add_argument("L", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=0.0, help="no further runs once this is spent")
    args = parser.parse_args()
    result = apply(args) if args.command == "apply" else fit(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
