"""Drift tests: which test runs on which column, and the report they make.

:func:`detect_drift` compares a :class:`~headrace.monitor.current.CurrentSummary` with
the :class:`~headrace.monitor.profile.ReferenceProfile` it was computed against. The
defaults follow Evidently's documented ones (so a benchmark can run the same tests),
except that the sample size deciding between them is the *current* window's — the
reference (the training set) is nearly always large, and a small window is exactly
when an effect-size threshold would be noise. All are fields of :class:`DriftOptions`.

===========  ===========================  ===========================================
column       current n ≤ 1,000            current n > 1,000
===========  ===========================  ===========================================
numeric      Kolmogorov–Smirnov p < 0.05  Wasserstein / reference std ≥ 0.1
             (current values vs the
             profile's reference sample)
numeric,     chi-squared p < 0.05         Jensen–Shannon distance ≥ 0.1
≤ 5 values   (over the values)
categorical  chi-squared p < 0.05         Jensen–Shannon distance ≥ 0.1
text         length as numeric, OOV rate ≥ 0.05 above the expected rate, and the
             domain classifier
===========  ===========================  ===========================================

* PSI (10 equal-reference-mass buckets, or the categories) is computed for numeric and
  categorical columns and reported, but does not vote by default
  (``psi_votes=False``): on the same buckets it largely repeats the Wasserstein or
  Jensen–Shannon verdict, and a second vote per column would double false alarms.
* Text: a column drifts when any of its three tests does. The OOV rate is compared
  with the rate the profile expects of new text from the reference's distribution
  (:class:`~headrace.monitor.profile.TextReference`), not with the reference's own
  in-sample rate, which is 0 whenever its vocabulary is not truncated. The domain classifier (TF-IDF
  + logistic regression, :mod:`headrace.monitor.domain`) drifts when its out-of-fold
  ROC AUC exceeds both the 95th percentile of AUCs under shuffled domain labels and
  0.55.
* Multivariate: the same domain classifier over every feature; reported, not counted
  in the share of drifted columns.
* Prediction drift: predicted-label frequencies (chi-squared p < 0.05 / Jensen–Shannon
  ≥ 0.1) and the probability of the positive class (every class when there are more
  than two) by Wasserstein / std ≥ 0.1, or by chi-squared over the reference's decile
  buckets on small windows (the raw probabilities are not sampled).
* The dataset drifts when at least half the tested columns do (``drift_share``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from headrace.errors import DataError
from headrace.monitor.current import CurrentSummary
from headrace.monitor.domain import DomainResult, domain_classifier, tabular_features, text_features
from headrace.monitor.profile import NumericReference, ReferenceProfile
from headrace.monitor.results import ColumnDrift, DriftReport, DriftTest, Kind
from headrace.monitor.statistics import chi2_test, jensenshannon, ks_test, psi, wasserstein_binned
from headrace.monitor.summary import FloatArray, NumericStats, finite_values

__all__ = ["ColumnDrift", "DriftOptions", "DriftReport", "DriftTest", "detect_drift"]

#: Smallest standard deviation a Wasserstein distance is divided by (Evidently's too).
MIN_STD = 0.001

#: Raw values of one column: (reference sample, current sample).
Raw = tuple[FloatArray, FloatArray]


@dataclass(frozen=True)
class DriftOptions:
    """Thresholds and switches of the drift tests (defaults in the module docstring)."""

    small_sample: int = 1000
    p_value: float = 0.05
    wasserstein: float = 0.1
    jensenshannon: float = 0.1
    psi: float = 0.1
    psi_bins: int = 10
    psi_votes: bool = False
    few_values: int = 5
    oov_increase: float = 0.05
    text_domain_classifier: bool = True
    multivariate: bool = True
    domain_min_auc: float = 0.55
    domain_quantile: float = 0.95
    domain_permutations: int = 200
    domain_folds: int = 3
    drift_share: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("p_value", "domain_quantile", "drift_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"DriftOptions.{name} must be in (0, 1], got {value!r}")
        for name in ("wasserstein", "jensenshannon", "psi", "oov_increase", "domain_min_auc"):
            if getattr(self, name) < 0:
                raise ValueError(f"DriftOptions.{name} must be ≥ 0, got {getattr(self, name)!r}")
        for name, minimum in (
            ("small_sample", 0),
            ("psi_bins", 2),
            ("few_values", 0),
            ("domain_permutations", 1),
        ):
            if getattr(self, name) < minimum:
                raise ValueError(f"DriftOptions.{name} must be ≥ {minimum}, got {getattr(self, name)!r}")
        if self.domain_folds < 2:
            raise ValueError(f"DriftOptions.domain_folds must be ≥ 2, got {self.domain_folds!r}")


def detect_drift(
    profile: ReferenceProfile, current: CurrentSummary, options: DriftOptions | None = None
) -> DriftReport:
    """Run every drift test of ``current`` against ``profile`` (see the module docstring).

    Parameters
    ----------
    profile : ReferenceProfile
        The training data's profile.
    current : CurrentSummary
        The window to check, summarized against ``profile``
        (:func:`~headrace.monitor.current.summarize_table` or
        :func:`~headrace.monitor.current.summarize_log`).
    options : DriftOptions, optional
        Thresholds and switches; the defaults are documented above.

    Returns
    -------
    DriftReport

    Raises
    ------
    DataError
        If ``current`` has no rows or was summarized against another profile.
    """
    options = options or DriftOptions()
    _check_summary(profile, current)
    columns = [_text_column(profile, current, name, options) for name in profile.text]
    columns += [_numeric_column(profile, current, name, options) for name in profile.numeric]
    columns += [_categorical_column(profile, current, name, options) for name in profile.categorical]
    multivariate = None
    if options.multivariate and profile.columns and current.sample.num_rows and profile.sample.num_rows:
        features, is_current = tabular_features(profile, profile.sample, current.sample)
        multivariate = _domain_test("*", "multivariate", features, is_current, options, regularization=0.1)
    prediction = _prediction_tests(profile, current, options)
    return DriftReport(tuple(columns), multivariate, prediction, profile.rows, current.rows, options)


def _numeric_column(
    profile: ReferenceProfile, current: CurrentSummary, name: str, options: DriftOptions
) -> ColumnDrift:
    ref, cur = profile.numeric[name], current.numeric[name]
    untested = _untested(name, "numeric", ref.stats.count, ref.stats.nulls, cur.count, cur.nulls)
    if untested is not None:
        return untested
    raw = (finite_values(profile.sample.column(name))[0], finite_values(current.sample.column(name))[0])
    coarse = ref.binning.coarse_edges(options.psi_bins)
    value = psi(ref.binning.regroup(ref.stats.bins, coarse), ref.binning.regroup(cur.bins, coarse))
    tests = (
        _numeric_test(name, "numeric", ref, cur, options, raw),
        _at_least(name, "numeric", "psi", value, options.psi, ref.stats.count, cur.count, options.psi_votes),
    )
    return ColumnDrift(
        name, "numeric", tests, *_missing(ref.stats.nulls, ref.stats.count, cur.nulls, cur.count)
    )


def _numeric_test(
    name: str,
    kind: Kind,
    ref: NumericReference,
    cur: NumericStats,
    options: DriftOptions,
    raw: Raw | None,
    prefix: str = "",
) -> DriftTest:
    """KS or Wasserstein by current size; chi-squared or JS over the values of few-valued columns."""
    small = cur.count <= options.small_sample
    if ref.binning.discrete and len(ref.binning.edges) <= options.few_values:
        return _count_test(name, kind, prefix, ref.stats.bins, cur.bins, small, options)
    if small and raw is not None and raw[0].shape[0] and raw[1].shape[0]:
        outcome = ks_test(*raw)
        sizes = (int(raw[0].shape[0]), int(raw[1].shape[0]))
        return _below(name, kind, f"{prefix}ks", outcome.statistic, outcome.p_value, options.p_value, *sizes)
    if small:  # no raw values (probabilities): chi-squared over the reference's deciles
        coarse = ref.binning.coarse_edges(options.psi_bins)
        regrouped = ref.binning.regroup(ref.stats.bins, coarse), ref.binning.regroup(cur.bins, coarse)
        return _count_test(name, kind, prefix, *regrouped, True, options)
    distance = wasserstein_binned(ref.binning.edges_array(), ref.binning.discrete, ref.stats, cur)
    value = distance / max(ref.stats.std or 0.0, MIN_STD)
    return _at_least(
        name, kind, f"{prefix}wasserstein", value, options.wasserstein, ref.stats.count, cur.count
    )


def _count_test(
    name: str,
    kind: Kind,
    prefix: str,
    reference: tuple[int, ...],
    current: tuple[int, ...],
    small: bool,
    options: DriftOptions,
) -> DriftTest:
    n = (sum(reference), sum(current))
    if small:
        outcome = chi2_test(reference, current)
        return _below(name, kind, f"{prefix}chi2", outcome.statistic, outcome.p_value, options.p_value, *n)
    value = jensenshannon(reference, current)
    return _at_least(name, kind, f"{prefix}jensenshannon", value, options.jensenshannon, *n)


def _categorical_column(
    profile: ReferenceProfile, current: CurrentSummary, name: str, options: DriftOptions
) -> ColumnDrift:
    ref, cur = profile.categorical[name], current.categorical[name]
    untested = _untested(name, "categorical", ref.stats.count, ref.stats.nulls, cur.count, cur.nulls)
    if untested is not None:
        return untested
    small = cur.count <= options.small_sample
    value = psi(ref.stats.counts, cur.counts)
    tests = (
        _count_test(name, "categorical", "", ref.stats.counts, cur.counts, small, options),
        _at_least(
            name, "categorical", "psi", value, options.psi, ref.stats.count, cur.count, options.psi_votes
        ),
    )
    missing = _missing(ref.stats.nulls, ref.stats.count, cur.nulls, cur.count)
    return ColumnDrift(name, "categorical", tests, *missing)


def _text_column(
    profile: ReferenceProfile, current: CurrentSummary, name: str, options: DriftOptions
) -> ColumnDrift:
    ref, cur = profile.text[name], current.text[name]
    untested = _untested(name, "text", ref.stats.count, ref.stats.nulls, cur.count, cur.nulls)
    if untested is not None:
        return untested
    reference_texts = profile.sample.column(name).drop_null()
    current_texts = current.sample.column(name).drop_null()
    increase = cur.oov_rate - ref.expected_oov_rate
    length = NumericReference(ref.length, ref.stats.length)
    tests = [
        _at_least(name, "text", "oov_increase", increase, options.oov_increase, ref.stats.tokens, cur.tokens),
        _numeric_test(
            name,
            "text",
            length,
            cur.length,
            options,
            (_lengths(reference_texts), _lengths(current_texts)),
            "length_",
        ),
    ]
    if options.text_domain_classifier and len(reference_texts) and len(current_texts):
        features, is_current = text_features(reference_texts, current_texts)
        tests.append(_domain_test(name, "text", features, is_current, options))
    return ColumnDrift(
        name, "text", tuple(tests), *_missing(ref.stats.nulls, ref.stats.count, cur.nulls, cur.count)
    )


def _prediction_tests(
    profile: ReferenceProfile, current: CurrentSummary, options: DriftOptions
) -> tuple[DriftTest, ...]:
    ref, cur = profile.prediction, current.prediction
    if ref is None or cur is None or cur.count == 0:
        return ()
    small = cur.count <= options.small_sample
    tests = [
        _count_test("label", "prediction", "label_", ref.stats.label_counts, cur.label_counts, small, options)
    ]
    # Binary: P(positive) says it all (P(negative) mirrors it); multiclass: every class.
    for index in [1] if len(ref.classes) == 2 else range(len(ref.classes)):
        reference = NumericReference(ref.binnings[index], ref.stats.probabilities[index])
        if reference.stats.count and cur.probabilities[index].count:
            column = f"P({ref.classes[index]})"
            tests.append(
                _numeric_test(column, "prediction", reference, cur.probabilities[index], options, None)
            )
    return tuple(tests)


def _domain_test(
    column: str,
    kind: Kind,
    features: object,
    is_current: object,
    options: DriftOptions,
    regularization: float = 1.0,
) -> DriftTest:
    result: DomainResult = domain_classifier(
        features,
        np.asarray(is_current, dtype=bool),
        folds=options.domain_folds,
        permutations=options.domain_permutations,
        quantile=options.domain_quantile,
        seed=options.seed,
        regularization=regularization,
    )
    threshold = max(result.null_quantile, options.domain_min_auc)
    return DriftTest(
        column,
        kind,
        "domain_classifier",
        result.auc,
        threshold,
        result.p_value,
        result.auc > threshold,
        result.reference_n,
        result.current_n,
    )


def _at_least(
    column: str,
    kind: Kind,
    test: str,
    value: float,
    threshold: float,
    ref_n: int,
    cur_n: int,
    votes: bool = True,
) -> DriftTest:
    """A distance test: drift when the statistic reaches the threshold."""
    return DriftTest(column, kind, test, value, threshold, None, value >= threshold, ref_n, cur_n, votes)


def _below(
    column: str,
    kind: Kind,
    test: str,
    statistic: float,
    p_value: float | None,
    alpha: float,
    ref_n: int,
    cur_n: int,
) -> DriftTest:
    """A hypothesis test: drift when the p-value is below the significance level."""
    p = 1.0 if p_value is None else p_value
    return DriftTest(column, kind, test, statistic, alpha, p, p < alpha, ref_n, cur_n)


def _untested(
    name: str, kind: Kind, ref_count: int, ref_nulls: int, cur_count: int, cur_nulls: int
) -> ColumnDrift | None:
    if ref_count and cur_count:
        return None
    side = "reference" if ref_count == 0 else "current window"
    missing = _missing(ref_nulls, ref_count, cur_nulls, cur_count)
    return ColumnDrift(name, kind, (), *missing, note=f"no values in the {side}: not tested")


def _lengths(texts: pa.Array | pa.ChunkedArray) -> FloatArray:
    return np.asarray(pc.utf8_length(texts), dtype=np.float64)


def _check_summary(profile: ReferenceProfile, current: CurrentSummary) -> None:
    if current.rows == 0:
        raise DataError("the current window has no rows; widen the window or check the prediction log filter")
    same_columns = (list(profile.numeric), list(profile.categorical), list(profile.text)) == (
        list(current.numeric),
        list(current.categorical),
        list(current.text),
    )
    if not same_columns or any(
        len(current.numeric[n].bins) != len(r.binning.edges) + 1 for n, r in profile.numeric.items()
    ):
        raise DataError(
            "the current summary was not computed against this reference profile (its columns or buckets "
            "differ); summarize the current data with the profile you pass to detect_drift"
        )


def _missing(ref_nulls: int, ref_count: int, cur_nulls: int, cur_count: int) -> tuple[float, float]:
    """Shares of missing values, reference then current."""
    ref_total, cur_total = ref_nulls + ref_count, cur_nulls + cur_count
    return (ref_nulls / ref_total if ref_total else 0.0, cur_nulls / cur_total if cur_total else 0.0)
