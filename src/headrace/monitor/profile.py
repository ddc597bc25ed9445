"""Reference profiles: the training data's statistics, computed once and kept with the model.

Monitoring never rereads training data. :func:`build_profile` summarizes the training
rows (and the model's predictions on them) into a :class:`ReferenceProfile`:

* numeric columns: count, missing values, mean, standard deviation, min/max, the
  quantiles at 1,001 evenly spaced levels, and the row count in each bucket between
  consecutive distinct quantiles (or between distinct values when there are at most
  1,001 of them). Current data is counted over the same buckets, which is enough for
  the Wasserstein distance, PSI and equal-mass histograms without the raw values;
* categorical columns: counts of the top 1,000 values and of all others;
* text columns: the same numeric summary of text lengths, the 10,000 most frequent
  tokens with their counts, and the out-of-vocabulary rate to expect of new text;
* predictions: label counts and a numeric summary of each class's probability;
* a seeded uniform sample of 5,000 reference rows for the tests that need raw values
  (Kolmogorov–Smirnov on small windows, the domain classifiers).

:meth:`ReferenceProfile.to_bytes` writes one Parquet file: the sample, with every
statistic as JSON in the schema metadata (key ``headrace.profile``). The bytes depend
only on the input (and the pyarrow version), so a content hash of a profile is stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from headrace.errors import DataError
from headrace.monitor._columns import check_feature_columns, normalize_sample
from headrace.monitor.summary import (
    CategoricalStats,
    FloatArray,
    NumericStats,
    PredictionStats,
    TextStats,
    categorical_stats,
    category_strings,
    finite_values,
    numeric_stats,
    prediction_stats,
    sample_rows,
    text_stats,
)
from headrace.monitor.tokens import tokenize_array

if TYPE_CHECKING:
    from headrace.project import FeaturesConfig
    from headrace.serve.predictor import Predictions

__all__ = [
    "Binning",
    "CategoricalReference",
    "NumericReference",
    "PredictionReference",
    "ProfileSettings",
    "ReferenceProfile",
    "TextReference",
    "build_profile",
]


@dataclass(frozen=True)
class ProfileSettings:
    """How much of the reference a profile keeps.

    Parameters
    ----------
    quantiles : int
        Quantile levels ``0, 1/(q-1), …, 1`` per numeric column; also the most distinct
        values a column may have to be bucketed value by value.
    top_categories : int
        Categories kept per categorical column; the rest are counted as "other".
    vocabulary_size : int
        Most frequent tokens kept per text column.
    sample_size : int
        Reference rows kept for the tests that need raw values.
    seed : int
        Seed of the sample.
    """

    quantiles: int = 1001
    top_categories: int = 1000
    vocabulary_size: int = 10_000
    sample_size: int = 5_000
    seed: int = 0

    def __post_init__(self) -> None:
        for name, minimum in (
            ("quantiles", 3),
            ("top_categories", 1),
            ("vocabulary_size", 1),
            ("sample_size", 1),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < minimum:
                raise ValueError(f"ProfileSettings.{name} must be an integer ≥ {minimum}, got {value!r}")


@dataclass(frozen=True)
class Binning:
    """Quantiles of a reference column and the bucket edges derived from them.

    ``discrete`` is true when ``edges`` are all the distinct reference values: each
    bucket then holds reference mass only at its upper edge.
    """

    quantiles: tuple[float, ...]
    edges: tuple[float, ...]
    discrete: bool

    def edges_array(self) -> FloatArray:
        return np.asarray(self.edges, dtype=np.float64)

    def coarse_edges(self, bins: int) -> FloatArray:
        """Edges of about ``bins`` equal-reference-mass buckets (a subset of ``edges``)."""
        if not self.quantiles:
            return np.empty(0, dtype=np.float64)
        levels = len(self.quantiles) - 1
        picks = [round(k * levels / bins) for k in range(bins + 1)]
        return np.unique(np.asarray([self.quantiles[i] for i in picks], dtype=np.float64))

    def regroup(self, bins: tuple[int, ...], coarse_edges: FloatArray) -> tuple[int, ...]:
        """Counts over this binning's buckets, re-counted over ``coarse_edges``' buckets.

        Exact because every coarse edge is one of this binning's edges.
        """
        edges = self.edges_array()
        target = np.searchsorted(coarse_edges, edges, side="left")
        target = np.append(target, coarse_edges.shape[0])  # the overflow bucket stays last
        counts = np.bincount(
            target, weights=np.asarray(bins, dtype=np.float64), minlength=len(coarse_edges) + 1
        )
        return tuple(int(c) for c in counts)

    def to_json(self) -> dict[str, Any]:
        return {"quantiles": list(self.quantiles), "edges": list(self.edges), "discrete": self.discrete}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Binning:
        return cls(
            tuple(float(q) for q in data["quantiles"]),
            tuple(float(e) for e in data["edges"]),
            bool(data["discrete"]),
        )


@dataclass(frozen=True)
class NumericReference:
    """A numeric column of the reference (also used for text lengths and probabilities)."""

    binning: Binning
    stats: NumericStats


@dataclass(frozen=True)
class CategoricalReference:
    """A categorical column: its top categories (most frequent first) and their counts."""

    categories: tuple[str, ...]
    stats: CategoricalStats


@dataclass(frozen=True)
class TextReference:
    """A text column: its length distribution and its most frequent tokens.

    ``expected_oov_rate`` is the share of tokens of *new* text from the reference's
    distribution expected to fall outside ``vocabulary``: the in-sample share of tokens
    past the kept vocabulary, plus a Good–Turing estimate of the chance of a token
    never seen — the share of tokens whose word occurs in a single reference text.
    (Counting texts rather than occurrences allows for words repeated within one text;
    on held-out halves of the YouTube and SMS examples it was within 0.01 of the
    actual rate.) The in-sample rate alone would be 0 for an untruncated vocabulary.
    """

    length: Binning
    vocabulary: tuple[str, ...]
    frequencies: tuple[int, ...]
    expected_oov_rate: float
    stats: TextStats


@dataclass(frozen=True)
class PredictionReference:
    """The model's predictions on the reference rows."""

    classes: tuple[str, ...]
    binnings: tuple[Binning, ...]
    stats: PredictionStats


@dataclass(frozen=True)
class ReferenceProfile:
    """Everything monitoring needs to know about the training data (see the module docstring).

    Build one with :func:`build_profile`; store it with :meth:`to_bytes`. The dicts
    keep the project file's column order and must not be modified.
    """

    rows: int
    numeric: dict[str, NumericReference]
    categorical: dict[str, CategoricalReference]
    text: dict[str, TextReference]
    prediction: PredictionReference | None
    sample: pa.Table
    settings: ProfileSettings

    @property
    def columns(self) -> list[str]:
        """Every profiled input column: text, then numeric, then categorical."""
        return [*self.text, *self.numeric, *self.categorical]

    def to_bytes(self) -> bytes:
        """The profile as one Parquet file (deterministic for the same profile)."""
        from headrace.monitor._profile_io import profile_to_bytes

        return profile_to_bytes(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceProfile:
        """Read a profile written by :meth:`to_bytes`.

        Raises
        ------
        DataError
            If ``data`` is not a profile, or one written by a newer headrace.
        """
        from headrace.monitor._profile_io import profile_from_bytes

        return profile_from_bytes(data)


def build_profile(
    table: pa.Table,
    features: FeaturesConfig,
    predictions: Predictions | None = None,
    *,
    settings: ProfileSettings | None = None,
) -> ReferenceProfile:
    """Summarize reference rows (the training snapshot) for monitoring.

    Parameters
    ----------
    table : pyarrow.Table
        The reference rows; must hold every column named in ``features``.
    features : FeaturesConfig
        Which columns are text, numeric and categorical (``train.features``).
    predictions : Predictions, optional
        The model's predictions on ``table``'s rows, for prediction drift.
    settings : ProfileSettings, optional
        Resolution of the profile; the defaults suit most projects.

    Returns
    -------
    ReferenceProfile

    Raises
    ------
    DataError
        If a column is missing or has the wrong type, or ``predictions`` do not match
        ``table``.

    Examples
    --------
    >>> from headrace.project import FeaturesConfig
    >>> rows = pa.table({"age": [31, 45, None], "city": ["Oslo", "Lima", "Oslo"]})
    >>> profile = build_profile(rows, FeaturesConfig(numeric=["age"], categorical=["city"]))
    >>> profile.categorical["city"].categories
    ('Oslo', 'Lima')
    """
    settings = settings or ProfileSettings()
    _check_columns(table, features)
    numeric = {}
    for name in features.numeric:
        values, missing = finite_values(table.column(name))
        numeric[name] = _numeric_reference(values, missing, settings.quantiles)
    categorical = {
        name: _categorical_reference(table.column(name), settings) for name in features.categorical
    }
    text = {name: _text_reference(table.column(name), settings) for name in features.text}
    prediction = None
    if predictions is not None:
        prediction = _prediction_reference(predictions, table.num_rows, settings.quantiles)
    sample = normalize_sample(
        sample_rows(table.select([*text, *numeric, *categorical]), settings.sample_size, settings.seed),
        text=list(text),
        numeric=list(numeric),
        categorical=list(categorical),
    )
    return ReferenceProfile(table.num_rows, numeric, categorical, text, prediction, sample, settings)


def binning_of(values: FloatArray, levels: int) -> Binning:
    """Quantiles (inverted-CDF, so every quantile is a data value) and bucket edges of ``values``.

    Edges are the distinct values when there are at most ``levels`` of them; otherwise
    the distinct quantiles at the ``levels`` even levels plus :func:`tail_levels`.
    """
    n = values.shape[0]
    if n == 0:
        return Binning((), (), False)
    ordered = np.sort(values)
    # ceil(i * n / (levels - 1)) - 1 in integers: float levels would misplace exact ranks.
    ranks = (np.arange(levels, dtype=np.int64) * n + (levels - 2)) // (levels - 1) - 1
    quantiles = ordered[np.clip(ranks, 0, n - 1)]
    distinct = ordered[np.concatenate(([True], np.diff(ordered) > 0))]
    if distinct.shape[0] <= levels:
        return Binning(_floats(quantiles), _floats(distinct), True)
    tails = ordered[np.clip(np.ceil(tail_levels(levels) * n).astype(np.int64) - 1, 0, n - 1)]
    return Binning(_floats(quantiles), _floats(np.unique(np.concatenate([quantiles, tails]))), False)


def tail_levels(levels: int) -> FloatArray:
    """Extra quantile levels in both tails: 8 per decade from ``1/(levels-1)`` down to 1e-6.

    Even levels leave the outermost buckets (the last 0.1% of the reference) wide, and
    a shift into them is where bucketed Wasserstein distances go wrong; these levels
    keep them narrow (a 3-standard-deviation shift of a normal column: error 0.07
    standard deviations without them, 0.0003 with them).
    """
    start = np.log10(levels - 1)
    exponents = np.arange(start + 0.125, 6.0 + 1e-9, 0.125)
    small = 10.0**-exponents
    return np.concatenate([small, 1.0 - small])


def _numeric_reference(values: FloatArray, missing: int, levels: int) -> NumericReference:
    binning = binning_of(values, levels)
    return NumericReference(binning, numeric_stats(values, missing, binning.edges_array()))


def _categorical_reference(column: pa.ChunkedArray, settings: ProfileSettings) -> CategoricalReference:
    strings = category_strings(column).drop_null()
    counted = pc.value_counts(strings)
    values = counted.field("values").to_pylist()
    counts = counted.field("counts").to_pylist()
    # Most frequent first; ties by value so the profile does not depend on row order.
    ranked = sorted(zip(values, counts, strict=True), key=lambda pair: (-pair[1], pair[0]))
    categories = tuple(value for value, _ in ranked[: settings.top_categories])
    stats = categorical_stats(column, pa.array(categories, type=pa.string()))
    return CategoricalReference(categories, stats)


def _text_reference(column: pa.ChunkedArray, settings: ProfileSettings) -> TextReference:
    texts = pc.cast(column, pa.string()).combine_chunks()
    lengths = np.asarray(pc.utf8_length(texts).drop_null(), dtype=np.float64)
    length = binning_of(lengths, settings.quantiles)
    token_lists = tokenize_array(texts)
    occurrences = pa.table(
        {"token": pc.list_flatten(token_lists), "text": pc.list_parent_indices(token_lists)}
    )
    grouped = occurrences.group_by("token").aggregate([("text", "count"), ("text", "count_distinct")])
    tokens = grouped.column("token").to_pylist()
    counts = np.asarray(grouped.column("text_count"), dtype=np.int64)
    in_one_text = np.asarray(grouped.column("text_count_distinct")) == 1
    # Most frequent first; ties by token so the profile does not depend on row order.
    order = sorted(range(len(tokens)), key=lambda i: (-counts[i], tokens[i]))[: settings.vocabulary_size]
    kept = np.zeros(len(tokens), dtype=bool)
    kept[order] = True
    total = int(counts.sum())
    expected_oov = (
        float((counts[in_one_text].sum() + counts[~kept & ~in_one_text].sum()) / total) if total else 0.0
    )
    vocabulary = tuple(tokens[i] for i in order)
    stats = text_stats(texts, length.edges_array(), pa.array(vocabulary, type=pa.string()))
    return TextReference(length, vocabulary, tuple(int(counts[i]) for i in order), expected_oov, stats)


def _prediction_reference(predictions: Predictions, rows: int, levels: int) -> PredictionReference:
    classes = tuple(predictions.classes)
    label_ids = np.asarray(predictions.label_ids, dtype=np.int64)
    probabilities = np.asarray(predictions.probabilities, dtype=np.float64)
    if label_ids.shape != (rows,) or probabilities.shape != (rows, len(classes)):
        raise DataError(
            f"reference predictions: expected {rows} labels and a {rows} × {len(classes)} probability "
            f"matrix (one row per reference row, one column per class), got {label_ids.shape[0]} labels "
            f"and a {' × '.join(str(d) for d in probabilities.shape)} matrix"
        )
    if rows and (label_ids.min() < 0 or label_ids.max() >= len(classes)):
        raise DataError(
            f"reference predictions: label ids must be 0..{len(classes) - 1} (indexes into the classes "
            f"{list(classes)}), got {int(label_ids.min())}..{int(label_ids.max())}"
        )
    binnings = tuple(binning_of(_finite(probabilities[:, i]), levels) for i in range(len(classes)))
    stats = prediction_stats(label_ids, probabilities, [b.edges_array() for b in binnings])
    return PredictionReference(classes, binnings, stats)


def _check_columns(table: pa.Table, features: FeaturesConfig) -> None:
    kinds = {
        "text": list(features.text),
        "numeric": list(features.numeric),
        "categorical": list(features.categorical),
    }
    check_feature_columns(table.schema, kinds, "reference data")


def _finite(values: FloatArray) -> FloatArray:
    return values[np.isfinite(values)]


def _floats(values: FloatArray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
