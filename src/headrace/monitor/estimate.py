"""Label-free performance estimates: the project's own LFs and label model judge live traffic.

The label model gives, for each logged row, a distribution over the true class from
the LF votes on that row. The served model's expected accuracy is then the mean
probability the label model puts on the predicted class, and expected TP/FP/FN give
an F1 estimate. Where no LF votes, the label model knows only the class balance; the
served model's own probabilities stand in there (confidence-based estimation).

The confidence interval is a bootstrap over rows: it covers the sampling noise of the
window, not the label model's own error, which ``benchmarks/label_free.py`` measures
on a simulated stream (it tracks a domain shift closely, and overestimates accuracy
when inputs are disguised so that the LFs and the model fail together).

LF votes on logged rows are cached per LF and per set of rows (request ids are
unique, so a closed window's rows never change): rerunning the monitor applies only
new or edited LFs to new rows.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from headrace.engines import Engine
from headrace.store import Store
from headrace.store.hashing import hash_bytes, hash_json
from headrace.supervision import LabelingFunction, LabelModelProtocol, apply_lfs

__all__ = ["PerformanceEstimate", "apply_lfs_to_log", "estimate_performance", "lf_coverage"]

#: Bump when the cached vote format or its meaning changes.
_CACHE_VERSION = 1


@dataclass(frozen=True)
class PerformanceEstimate:
    """The served model's estimated accuracy (and F1 for binary tasks) on a set of rows.

    ``covered`` is the share of rows where at least one LF voted: on uncovered rows
    the label model only knows the class balance, so a low coverage means a weak
    estimate. ``unavailable_lfs`` could not run on logged rows (they read columns the
    model does not take, which the log does not hold) and abstained.
    """

    rows: int
    covered: float
    accuracy: float
    accuracy_ci: tuple[float, float]
    f1: float | None
    f1_ci: tuple[float, float] | None
    lf_coverage: dict[str, float] = field(default_factory=dict)
    unavailable_lfs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "covered": self.covered,
            "accuracy": self.accuracy,
            "accuracy_ci": list(self.accuracy_ci),
            "f1": self.f1,
            "f1_ci": None if self.f1_ci is None else list(self.f1_ci),
            "lf_coverage": self.lf_coverage,
            "unavailable_lfs": self.unavailable_lfs,
        }


def apply_lfs_to_log(
    store: Store,
    lfs: Sequence[LabelingFunction],
    table: pa.Table,
    *,
    cardinality: int,
    engine: Engine | None = None,
) -> tuple[npt.NDArray[np.int8], list[str]]:
    """Votes of ``lfs`` on logged rows (``table`` has ``request_id`` and the input columns).

    Returns the vote matrix (rows × LFs) and the names of LFs that failed on every
    row (unavailable on logged traffic; their votes are abstains). Each LF's votes
    are a cached run (kind ``monitor_lf_apply``) keyed by the LF's source and the
    rows' request ids.
    """
    n = table.num_rows
    rows_key = hash_bytes("\n".join(table.column("request_id").to_pylist()).encode("utf-8"))
    columns: dict[str, npt.NDArray[np.int8]] = {}
    unavailable: list[str] = []
    missing: list[LabelingFunction] = []
    for lf in lfs:
        cached = store.runs.find_cached("monitor_lf_apply", _cache_key(lf, rows_key, cardinality))
        if cached is None:
            missing.append(lf)
            continue
        columns[lf.name] = np.load(io.BytesIO(store.objects.read_bytes(cached.outputs["votes"])))
        if cached.metrics.get("unavailable"):
            unavailable.append(lf.name)
    if missing and n:
        result = apply_lfs(
            missing, table, id_column="request_id", cardinality=cardinality, engine=engine, on_error="abstain"
        )
        failed_rows: dict[str, int] = {}
        for failure in result.failures:
            failed_rows[failure.lf] = failed_rows.get(failure.lf, 0) + 1
        for j, lf in enumerate(missing):
            votes = np.ascontiguousarray(result.matrix.values[:, j], dtype=np.int8)
            is_unavailable = failed_rows.get(lf.name, 0) == n
            buffer = io.BytesIO()
            np.save(buffer, votes, allow_pickle=False)
            votes_id = store.put("lf_output", data=buffer.getvalue(), meta={"lf": lf.name, "source": "log"})
            with store.runs.recording(
                "monitor_lf_apply",
                params={"lf": lf.name, "rows": n},
                cache_key=_cache_key(lf, rows_key, cardinality),
            ) as run:
                run.outputs["votes"] = votes_id
                run.metrics.update(
                    seconds=result.seconds.get(lf.name, 0.0),
                    failures=failed_rows.get(lf.name, 0),
                    unavailable=is_unavailable,
                )
            columns[lf.name] = votes
            if is_unavailable:
                unavailable.append(lf.name)
    if not lfs:
        return np.empty((n, 0), dtype=np.int8), []
    matrix = np.stack([columns.get(lf.name, np.full(n, -1, np.int8)) for lf in lfs], axis=1)
    return matrix.astype(np.int8), sorted(unavailable)


def _cache_key(lf: LabelingFunction, rows_key: str, cardinality: int) -> str:
    return hash_json(
        {
            "kind": "monitor_lf_apply",
            "version": _CACHE_VERSION,
            "lf": lf.key,
            "rows": rows_key,
            "k": cardinality,
        }
    )


def lf_coverage(votes: npt.NDArray[np.int8], names: Sequence[str]) -> dict[str, float]:
    """Share of rows each LF voted on."""
    if votes.shape[0] == 0:
        return dict.fromkeys(names, 0.0)
    return {name: float(np.mean(votes[:, j] >= 0)) for j, name in enumerate(names)}


def estimate_performance(
    votes: npt.NDArray[np.int8],
    predicted: npt.NDArray[np.int64],
    label_model: LabelModelProtocol,
    *,
    lf_names: Sequence[str],
    positive: int | None = 1,
    model_probabilities: npt.NDArray[np.float64] | None = None,
    unavailable: Sequence[str] = (),
    bootstrap: int = 200,
    seed: int = 0,
) -> PerformanceEstimate:
    """Estimate accuracy (and F1 of class ``positive``) of ``predicted`` from LF ``votes``.

    Parameters
    ----------
    votes : ndarray of int8, shape (n, m)
        LF votes on the rows (``-1`` abstains), columns in the label model's LF order.
    predicted : ndarray of int, shape (n,)
        The served model's class per row.
    label_model
        The fitted label model of the served model's training run.
    positive : int or None
        Class whose F1 is estimated (binary tasks); ``None`` skips F1.
    model_probabilities : ndarray, shape (n, k), optional
        The served model's own class probabilities. On rows no LF votes on, the label
        model knows only the class balance; there the model's confidence stands in
        (confidence-based estimation), which is right when the model is calibrated.
    bootstrap : int
        Resamples for the 95% intervals.
    """
    n = votes.shape[0]
    if n == 0:
        return PerformanceEstimate(0, 0.0, float("nan"), (float("nan"), float("nan")), None, None)
    probs = np.asarray(label_model.predict_proba(votes), dtype=np.float64)
    covered = np.asarray((votes >= 0).any(axis=1), dtype=bool)
    if model_probabilities is not None:
        probs = np.where(covered[:, None], probs, np.asarray(model_probabilities, dtype=np.float64))
    correct = probs[np.arange(n), predicted]
    # Bootstrap over (at most 1,000) random blocks of rows rather than rows: the same
    # interval for i.i.d. rows, in memory that does not grow with the window.
    rng = np.random.default_rng(seed)
    blocks = min(n, 1000)
    assignment = rng.permutation(n) % blocks
    picks = rng.integers(0, blocks, size=(bootstrap, blocks))
    counts = np.bincount(assignment, minlength=blocks)[picks].sum(axis=1)

    def resampled(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(np.bincount(assignment, weights=values, minlength=blocks)[picks].sum(axis=1))

    accuracy_boot = resampled(correct) / counts
    f1: float | None = None
    f1_ci: tuple[float, float] | None = None
    if positive is not None and probs.shape[1] == 2:
        said_positive = predicted == positive
        tp = np.where(said_positive, probs[:, positive], 0.0)
        fp = np.where(said_positive, 1.0 - probs[:, positive], 0.0)
        fn = np.where(~said_positive, probs[:, positive], 0.0)
        f1 = _f1(float(tp.sum()), float(fp.sum()), float(fn.sum()))
        tp_b, fp_b, fn_b = resampled(tp), resampled(fp), resampled(fn)
        denominator = 2 * tp_b + fp_b + fn_b
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = np.where(denominator > 0, 2 * tp_b / denominator, np.nan)
        if np.isfinite(boot).any():
            f1_ci = (float(np.nanpercentile(boot, 2.5)), float(np.nanpercentile(boot, 97.5)))
    return PerformanceEstimate(
        rows=n,
        covered=float(np.mean(covered)),
        accuracy=float(correct.mean()),
        accuracy_ci=(float(np.percentile(accuracy_boot, 2.5)), float(np.percentile(accuracy_boot, 97.5))),
        f1=f1,
        f1_ci=f1_ci,
        lf_coverage=lf_coverage(votes, lf_names),
        unavailable_lfs=list(unavailable),
    )


def _f1(tp: float, fp: float, fn: float) -> float:
    denominator = 2 * tp + fp + fn
    return float("nan") if denominator == 0 else float(2 * tp / denominator)
