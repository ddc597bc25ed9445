"""Column statistics that a reference profile and a current summary share.

A drift test never sees raw rows at scale: it compares two of these summaries, one
computed at training time (:mod:`headrace.monitor.profile`) and one over the traffic
being checked (:mod:`headrace.monitor.current`). Counts are over the *reference's*
buckets, so the two sides line up bucket for bucket.

Buckets of a numeric column follow DuckDB's ``histogram(x, edges)``: with edges
``e[0] < … < e[m-1]``, bucket 0 is ``x <= e[0]``, bucket ``j`` is ``e[j-1] < x <= e[j]``
and bucket ``m`` is ``x > e[m-1]``. Missing values (null, NaN and ±inf: a non-finite
number is a broken input, not a very large one) are counted apart and left out of
every statistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from headrace.monitor.tokens import tokenize_array

__all__ = [
    "CategoricalStats",
    "NumericStats",
    "PredictionStats",
    "TextStats",
    "categorical_stats",
    "finite_values",
    "numeric_stats",
    "prediction_stats",
    "sample_rows",
    "text_stats",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NumericStats:
    """Moments and bucket counts of one numeric column.

    Attributes
    ----------
    count, nulls : int
        Present and missing values.
    mean, std, minimum, maximum : float or None
        Of the present values (``std`` is the population standard deviation); ``None``
        when there are none.
    bins : tuple of int
        Present values per bucket of the reference's edges (``len(edges) + 1`` of them).
    below, above : float
        ``sum(e[0] - x)`` over values below the first edge and ``sum(x - e[-1])`` over
        values above the last: the exact tails of the Wasserstein distance.
    """

    count: int
    nulls: int
    mean: float | None
    std: float | None
    minimum: float | None
    maximum: float | None
    bins: tuple[int, ...]
    below: float
    above: float

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "nulls": self.nulls,
            "mean": self.mean,
            "std": self.std,
            "min": self.minimum,
            "max": self.maximum,
            "bins": list(self.bins),
            "below": self.below,
            "above": self.above,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NumericStats:
        return cls(
            count=int(data["count"]),
            nulls=int(data["nulls"]),
            mean=_optional_float(data["mean"]),
            std=_optional_float(data["std"]),
            minimum=_optional_float(data["min"]),
            maximum=_optional_float(data["max"]),
            bins=tuple(int(b) for b in data["bins"]),
            below=float(data["below"]),
            above=float(data["above"]),
        )


@dataclass(frozen=True)
class CategoricalStats:
    """Value counts of one categorical column over the reference's categories.

    ``counts`` has one entry per reference category, in the reference's order, then one
    for every other value (categories past the reference's top K, and new ones).
    """

    count: int
    nulls: int
    counts: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "nulls": self.nulls, "counts": list(self.counts)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CategoricalStats:
        return cls(int(data["count"]), int(data["nulls"]), tuple(int(c) for c in data["counts"]))


@dataclass(frozen=True)
class TextStats:
    """Length and vocabulary statistics of one text column.

    ``length`` summarizes text lengths in characters (Unicode code points);
    ``oov_tokens`` counts the tokens (:mod:`headrace.monitor.tokens`) that are not in
    the reference vocabulary, out of ``tokens``.
    """

    count: int
    nulls: int
    length: NumericStats
    tokens: int
    oov_tokens: int

    @property
    def oov_rate(self) -> float:
        """Share of tokens outside the reference vocabulary (0 when there are no tokens)."""
        return self.oov_tokens / self.tokens if self.tokens else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "nulls": self.nulls,
            "length": self.length.to_json(),
            "tokens": self.tokens,
            "oov_tokens": self.oov_tokens,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextStats:
        return cls(
            count=int(data["count"]),
            nulls=int(data["nulls"]),
            length=NumericStats.from_json(data["length"]),
            tokens=int(data["tokens"]),
            oov_tokens=int(data["oov_tokens"]),
        )


@dataclass(frozen=True)
class PredictionStats:
    """The model's outputs: predicted labels and each class's probability.

    ``label_counts`` has one entry per class, then one for labels that are not among
    the reference's classes; ``probabilities`` has one :class:`NumericStats` per class.
    """

    count: int
    label_counts: tuple[int, ...]
    probabilities: tuple[NumericStats, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "label_counts": list(self.label_counts),
            "probabilities": [p.to_json() for p in self.probabilities],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PredictionStats:
        return cls(
            count=int(data["count"]),
            label_counts=tuple(int(c) for c in data["label_counts"]),
            probabilities=tuple(NumericStats.from_json(p) for p in data["probabilities"]),
        )


def finite_values(column: pa.Array | pa.ChunkedArray) -> tuple[FloatArray, int]:
    """The finite values of a numeric column as float64, and how many were missing."""
    values = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    present = values[np.isfinite(values)]  # nulls arrive as NaN
    return present, int(values.shape[0] - present.shape[0])


def numeric_stats(values: FloatArray, nulls: int, edges: FloatArray) -> NumericStats:
    """Summarize finite ``values`` over the buckets of ``edges`` (see the module docstring)."""
    n = int(values.shape[0])
    if n == 0:
        return NumericStats(0, nulls, None, None, None, None, (0,) * (edges.shape[0] + 1), 0.0, 0.0)
    buckets = np.searchsorted(edges, values, side="left")
    bins = np.bincount(buckets, minlength=edges.shape[0] + 1)
    below = above = 0.0
    if edges.shape[0]:
        low, high = values[values < edges[0]], values[values > edges[-1]]
        below = float(np.sum(edges[0] - low)) if low.shape[0] else 0.0
        above = float(np.sum(high - edges[-1])) if high.shape[0] else 0.0
    return NumericStats(
        count=n,
        nulls=nulls,
        mean=float(np.mean(values)),
        std=float(np.std(values)),
        minimum=float(np.min(values)),
        maximum=float(np.max(values)),
        bins=tuple(int(b) for b in bins),
        below=below,
        above=above,
    )


def category_strings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A categorical column as strings (numbers and booleans are compared as text)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    return pc.cast(column, pa.string())


def categorical_stats(column: pa.Array | pa.ChunkedArray, categories: pa.Array) -> CategoricalStats:
    """Count ``column``'s values per reference category (then "other")."""
    strings = category_strings(column)
    nulls = strings.null_count
    index = pc.index_in(strings, value_set=categories)
    found = np.asarray(index.drop_null(), dtype=np.int64)
    counts = np.bincount(found, minlength=len(categories))
    present = len(strings) - nulls
    other = present - int(found.shape[0])
    return CategoricalStats(present, nulls, (*(int(c) for c in counts), other))


def text_stats(
    column: pa.Array | pa.ChunkedArray, length_edges: FloatArray, vocabulary: pa.Array
) -> TextStats:
    """Lengths (over the reference's length buckets) and out-of-vocabulary tokens of a text column."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    texts = pc.cast(column, pa.string())
    lengths = np.asarray(pc.utf8_length(texts).drop_null(), dtype=np.float64)
    tokens = pc.list_flatten(tokenize_array(texts))
    known = int(pc.sum(pc.is_in(tokens, value_set=vocabulary)).as_py() or 0)
    return TextStats(
        count=len(texts) - texts.null_count,
        nulls=texts.null_count,
        length=numeric_stats(lengths, texts.null_count, length_edges),
        tokens=len(tokens),
        oov_tokens=len(tokens) - known,
    )


def prediction_stats(
    label_ids: npt.NDArray[np.int64], probabilities: FloatArray, edges: list[FloatArray]
) -> PredictionStats:
    """Summarize predictions given as class indices (``-1``: not a known class) and probabilities."""
    classes = len(edges)
    known = label_ids[label_ids >= 0]
    counts = np.bincount(known, minlength=classes)
    per_class = []
    for index, class_edges in enumerate(edges):
        column = probabilities[:, index]
        present = column[np.isfinite(column)]
        per_class.append(numeric_stats(present, int(column.shape[0] - present.shape[0]), class_edges))
    return PredictionStats(
        count=int(label_ids.shape[0]),
        label_counts=(*(int(c) for c in counts), int(label_ids.shape[0] - known.shape[0])),
        probabilities=tuple(per_class),
    )


def sample_rows(table: pa.Table, size: int, seed: int) -> pa.Table:
    """A uniform sample of at most ``size`` rows, in table order (seeded)."""
    if table.num_rows <= size:
        return table
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(table.num_rows, size=size, replace=False))
    return table.take(pa.array(rows))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
