"""Data the benchmarks generate at run time, seeded: nothing large is committed.

* :func:`make_texts` resamples the real short texts bundled with the repository (the
  YouTube comments of ``examples/youtube-spam``) and the raw SMS Spam Collection in
  ``shared/data/raw/sms_spam`` to any number of rows.
* :func:`make_labels` draws a synthetic label matrix with known truth, with
  :func:`headrace.supervision.synthetic.make_label_matrix` when this headrace has it,
  else with the small generator below, which follows the same process.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["REPO_ROOT", "Synthetic", "load_texts", "make_labels", "make_texts"]

REPO_ROOT = Path(__file__).resolve().parents[1]
YOUTUBE_DIR = REPO_ROOT / "examples" / "youtube-spam" / "data"
SMS_RAW = REPO_ROOT.parent / "shared" / "data" / "raw" / "sms_spam" / "SMSSpamCollection"
SMS_EXAMPLE_DIR = REPO_ROOT / "examples" / "sms-spam" / "data"


def load_texts() -> pd.DataFrame:
    """Every real text available: columns ``source`` (``youtube``/``sms``) and ``text``."""
    parts = []
    for path in sorted(YOUTUBE_DIR.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "content" in frame:
            parts.append(pd.DataFrame({"source": "youtube", "text": frame["content"]}))
    if SMS_RAW.is_file():
        # label<TAB>text, one message a line; split by hand: messages contain quotes.
        lines = SMS_RAW.read_text(encoding="utf-8", errors="replace").splitlines()
        sms = [line.split("\t", 1)[1] for line in lines if "\t" in line]
        parts.append(pd.DataFrame({"source": "sms", "text": sms}))
    elif SMS_EXAMPLE_DIR.is_dir():
        for path in sorted(SMS_EXAMPLE_DIR.glob("*.csv")):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            if "text" in frame:
                parts.append(pd.DataFrame({"source": "sms", "text": frame["text"]}))
    else:
        print(f"note: no SMS texts ({SMS_RAW} is missing); using YouTube comments only", file=sys.stderr)
    if not parts:
        raise FileNotFoundError(f"no texts found under {YOUTUBE_DIR}")
    return pd.concat(parts, ignore_index=True)


def make_texts(n_rows: int, *, seed: int = 0) -> pd.DataFrame:
    """``n_rows`` texts drawn with replacement from :func:`load_texts`, ids ``0..n-1``."""
    pool = load_texts()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(pool), size=n_rows)
    return pd.DataFrame(
        {
            "id": np.arange(n_rows, dtype=np.int64),
            "source": pool["source"].to_numpy()[picks],
            "text": pool["text"].to_numpy()[picks],
        }
    )


@dataclass(frozen=True)
class Synthetic:
    """A label matrix ``L`` (int8, -1 abstains), its truth ``y`` and where it came from."""

    L: npt.NDArray[np.int8]
    y: npt.NDArray[np.int64]
    accuracies: npt.NDArray[np.float64]
    generator: str


def make_labels(
    n_rows: int, n_lfs: int, *, coverage: tuple[float, float] = (0.01, 0.6), seed: int = 0
) -> Synthetic:
    """A binary label matrix with known truth (LF accuracies drawn from 0.55–0.95)."""
    try:
        from headrace.supervision.synthetic import make_label_matrix
    except ImportError:
        L, y, acc = _make_label_matrix(n_rows, n_lfs, coverage=coverage, seed=seed)
        return Synthetic(L=L, y=y, accuracies=acc, generator="benchmarks/_data.py")
    data: Any = make_label_matrix(n_rows, n_lfs, cardinality=2, coverage=coverage, seed=seed)
    return Synthetic(
        L=data.L, y=data.y, accuracies=data.accuracies, generator="headrace.supervision.synthetic"
    )


def _make_label_matrix(
    n_rows: int,
    n_lfs: int,
    *,
    cardinality: int = 2,
    coverage: tuple[float, float] = (0.01, 0.6),
    accuracy: tuple[float, float] = (0.55, 0.95),
    seed: int = 0,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Uniform classes; LF ``j`` fires on a row with its coverage and then votes the
    true class with its accuracy, else a uniformly drawn other class. Built a column
    at a time straight into ``int8``, so memory stays near the matrix's own size."""
    k = cardinality
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n_rows).astype(np.int64)
    L = np.full((n_rows, n_lfs), -1, dtype=np.int8)
    accuracies = np.empty(n_lfs)
    for j in range(n_lfs):
        cov, acc = rng.uniform(*coverage), rng.uniform(*accuracy)
        fired = np.flatnonzero(rng.random(n_rows) < cov)
        truth = y[fired]
        wrong = (truth + rng.integers(1, k, len(fired))) % k
        L[fired, j] = np.where(rng.random(len(fired)) < acc, truth, wrong)
        accuracies[j] = acc
    return L, y, accuracies
