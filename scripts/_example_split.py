"""Shared by the example builders: a stratified, seeded dev/test/pool split and CSV output."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["allocate", "split", "write_csv", "write_example"]


def allocate(counts: dict[str, int], n: int) -> dict[str, int]:
    """Split ``n`` over the strata proportionally to ``counts`` (largest remainder)."""
    total = sum(counts.values())
    if n > total:
        raise ValueError(f"cannot draw {n} rows from {total}")
    exact = {k: n * v / total for k, v in counts.items()}
    alloc = {k: int(np.floor(x)) for k, x in exact.items()}
    # Hand out the remaining rows by largest fractional part (ties: stratum name).
    order = sorted(exact, key=lambda k: (-(exact[k] - alloc[k]), k))
    for k in order[: n - sum(alloc.values())]:
        alloc[k] += 1
    return alloc


def split(
    data: pd.DataFrame, n_dev: int, n_test: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stratified (by label), seeded split into (dev, test, pool), original order kept."""
    rng = np.random.default_rng(seed)
    labels = sorted(data["label"].unique())
    counts = {lab: int((data["label"] == lab).sum()) for lab in labels}
    dev_alloc = allocate(counts, n_dev)
    test_alloc = allocate(counts, n_test)
    dev_idx: list[int] = []
    test_idx: list[int] = []
    for lab in labels:
        positions = np.flatnonzero((data["label"] == lab).to_numpy())
        shuffled = positions[rng.permutation(len(positions))]
        n_d, n_t = dev_alloc[lab], test_alloc[lab]
        dev_idx.extend(shuffled[:n_d].tolist())
        test_idx.extend(shuffled[n_d : n_d + n_t].tolist())
    in_dev: npt.NDArray[np.bool_] = np.zeros(len(data), dtype=bool)
    in_test: npt.NDArray[np.bool_] = np.zeros(len(data), dtype=bool)
    in_dev[dev_idx] = True
    in_test[test_idx] = True
    in_pool = ~(in_dev | in_test)
    # Boolean masks keep the source's row order inside every split.
    return (
        data[in_dev].reset_index(drop=True),
        data[in_test].reset_index(drop=True),
        data[in_pool].reset_index(drop=True),
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV with RFC-4180 style minimal quoting and ``\\n`` line endings."""
    frame.to_csv(
        path,
        index=False,
        encoding="utf-8",
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\n",
    )


def write_example(
    out: Path,
    dev: pd.DataFrame,
    test: pd.DataFrame,
    pool: pd.DataFrame,
    *,
    columns: list[str],
    id_column: str,
    pool_file: str,
) -> None:
    """Write the pool (labels withheld), gold dev/test and the pool's withheld labels."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(pool[columns], out / pool_file)
    write_csv(dev[[*columns, "label"]], out / "gold_dev.csv")
    write_csv(test[[*columns, "label"]], out / "gold_test.csv")
    write_csv(pool[[id_column, "label"]], out / "pool_labels.csv")
    for name, frame in (("gold_dev", dev), ("gold_test", test), (f"{pool_file} (pool)", pool)):
        dist = frame["label"].value_counts().sort_index().to_dict()
        print(f"{name:>20}: {len(frame):5d} rows  {dist}")
    print(f"wrote {out}")
