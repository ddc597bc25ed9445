"""Drift tests: each statistic against scipy, the choice of test, the classifiers, the report."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from scipy.spatial import distance

from headrace.errors import DataError
from headrace.monitor import (
    DriftOptions,
    ReferenceProfile,
    build_profile,
    detect_drift,
    summarize_table,
)
from headrace.monitor.domain import domain_classifier, tabular_features, text_features
from headrace.monitor.profile import binning_of
from headrace.monitor.statistics import chi2_test, jensenshannon, ks_test, psi, wasserstein_binned
from headrace.monitor.summary import numeric_stats
from headrace.project import FeaturesConfig
from headrace.serve.predictor import Predictions

QUICK = DriftOptions(multivariate=False, text_domain_classifier=False)

# --- the statistics, against scipy ----------------------------------------------------


def test_ks_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    reference, current = rng.normal(size=300), rng.normal(0.3, 1.0, 120)
    outcome = ks_test(reference, current)
    expected = stats.ks_2samp(reference, current)
    assert (outcome.statistic, outcome.p_value) == pytest.approx((expected.statistic, expected.pvalue))


@pytest.mark.parametrize(
    ("reference", "current"),
    [([30, 50, 20], [25, 40, 35]), ([100, 0, 7, 3], [10, 5, 0, 1]), ([40, 60], [55, 45])],
)
def test_chi2_matches_scipys_contingency_test(reference: list[int], current: list[int]) -> None:
    outcome = chi2_test(reference, current)
    table = np.array([reference, current])
    table = table[:, table.sum(axis=0) > 0]
    expected = stats.chi2_contingency(table, correction=False)
    assert (outcome.statistic, outcome.p_value) == pytest.approx((expected.statistic, expected.pvalue))


def test_chi2_of_one_category_has_nothing_to_test() -> None:
    assert chi2_test([10, 0], [5, 0]).p_value == 1.0


@pytest.mark.parametrize(
    ("reference", "current"),
    [([30, 50, 20], [25, 40, 35]), ([10, 0, 5], [0, 3, 5]), ([1, 1], [1, 1]), ([7, 0], [0, 7])],
)
def test_jensenshannon_matches_scipy(reference: list[int], current: list[int]) -> None:
    assert jensenshannon(reference, current) == pytest.approx(
        distance.jensenshannon(reference, current), abs=1e-12
    )


def test_psi_by_hand() -> None:
    # Shares r = (.5, .3, .2), c = (.3, .3, .4): Σ (c - r) ln(c / r).
    expected = (0.3 - 0.5) * np.log(0.3 / 0.5) + 0.0 + (0.4 - 0.2) * np.log(0.4 / 0.2)
    assert psi([50, 30, 20], [30, 30, 40]) == pytest.approx(expected)
    # An empty bucket counts as a share of 1e-4.
    assert psi([50, 50, 0], [50, 40, 10]) == pytest.approx(
        (0.5 - 0.5) * 0 + (0.4 - 0.5) * np.log(0.4 / 0.5) + (0.1 - 1e-4) * np.log(0.1 / 1e-4)
    )


Draw = Callable[[np.random.Generator, int], np.ndarray]


@pytest.mark.parametrize(
    ("draw_reference", "draw_current"),
    [
        (lambda g, n: g.normal(0, 1, n), lambda g, n: g.normal(0, 1, n)),
        (lambda g, n: g.normal(0, 1, n), lambda g, n: g.normal(0.1, 1, n)),
        (lambda g, n: g.lognormal(0, 1, n), lambda g, n: g.lognormal(0, 1.1, n)),
        (lambda g, n: g.normal(0, 1, n), lambda g, n: g.normal(0.4, 1, n)),
        (lambda g, n: g.normal(0, 1, n), lambda g, n: g.normal(0, 1.5, n)),
        (lambda g, n: g.normal(0, 1, n), lambda g, n: g.normal(3, 0.5, n)),
        (lambda g, n: g.lognormal(0, 1, n), lambda g, n: g.lognormal(0.3, 1.2, n)),
        (lambda g, n: g.exponential(1, n), lambda g, n: g.exponential(1, n) + 0.5),
    ],
    ids=[
        "same",
        "near-threshold",
        "lognormal-near-threshold",
        "shift",
        "scale",
        "far",
        "lognormal",
        "exponential",
    ],
)
def test_binned_wasserstein_matches_scipy_on_raw_values(draw_reference: Draw, draw_current: Draw) -> None:
    rng = np.random.default_rng(1)
    reference, current = draw_reference(rng, 30_000), draw_current(rng, 20_000)
    binning = binning_of(reference, 1001)
    edges = binning.edges_array()
    ours = wasserstein_binned(
        edges, binning.discrete, numeric_stats(reference, 0, edges), numeric_stats(current, 0, edges)
    )
    # Within 1.5% or 0.002 reference standard deviations (the precision the module states).
    expected = stats.wasserstein_distance(reference, current)
    assert ours == pytest.approx(expected, rel=0.015, abs=0.002 * reference.std())


def test_binned_wasserstein_is_exact_for_discrete_columns() -> None:
    rng = np.random.default_rng(2)
    reference = rng.integers(0, 10, 5000).astype(float)
    current = rng.integers(2, 14, 3000).astype(float)  # 10..13 are new values, above every edge
    binning = binning_of(reference, 1001)
    edges = binning.edges_array()
    ours = wasserstein_binned(
        edges, True, numeric_stats(reference, 0, edges), numeric_stats(current, 0, edges)
    )
    assert ours == pytest.approx(stats.wasserstein_distance(reference, current), rel=1e-12)


@pytest.mark.parametrize("statistic", [jensenshannon, psi, lambda r, c: chi2_test(r, c).statistic])
def test_count_statistics_are_zero_for_equal_shares_and_grow_with_the_difference(
    statistic: Callable[[list[int], list[int]], float],
) -> None:
    assert statistic([10, 20, 30], [20, 40, 60]) == pytest.approx(0.0, abs=1e-12)
    small, large = statistic([50, 50], [45, 55]), statistic([50, 50], [20, 80])
    assert 0 < small < large


# --- the domain classifier ------------------------------------------------------------


def test_the_domain_classifier_flags_a_separable_shift_and_not_the_same_distribution() -> None:
    rng = np.random.default_rng(3)
    same = rng.normal(size=(1200, 3))
    shifted = np.vstack([same[:600], rng.normal(0.8, 1.0, (600, 3))])
    labels = np.repeat([False, True], 600)
    drifted = domain_classifier(shifted, labels, seed=0)
    quiet = domain_classifier(same, labels, seed=0)
    assert drifted.auc > 0.7 and drifted.auc > drifted.null_quantile and drifted.p_value < 0.01
    assert quiet.auc < quiet.null_quantile
    assert domain_classifier(same, labels, seed=0) == quiet  # seeded


def test_the_permutation_threshold_matches_the_mann_whitney_null() -> None:
    rng = np.random.default_rng(4)
    features = rng.normal(size=(2000, 2))
    labels = np.repeat([False, True], [1200, 800])
    result = domain_classifier(features, labels, permutations=2000, seed=1)
    bound = 0.5 + stats.norm.ppf(0.95) * np.sqrt((1200 + 800 + 1) / (12 * 1200 * 800))
    assert result.null_quantile == pytest.approx(bound, abs=0.004)


def test_nothing_to_learn_from_is_no_evidence_of_drift() -> None:
    matrix, is_current = text_features(
        pa.array(["alpha", "beta", "gamma"]), pa.array(["delta", "epsilon", "zeta"])
    )
    assert matrix.shape[1] == 0  # no token in two texts
    result = domain_classifier(matrix, is_current, folds=2)
    assert (result.auc, result.p_value) == (0.5, 1.0)


def test_text_features_use_the_monitoring_tokens() -> None:
    matrix, is_current = text_features(pa.array(["Good film", "good plot"]), pa.array(["GOOD!", None]))
    assert matrix.shape == (4, 1)  # only "good" appears in two documents
    assert is_current.tolist() == [False, False, True, True]


# --- choosing and running the tests ---------------------------------------------------

FEATURES = FeaturesConfig(text=["review"], numeric=["price", "stay", "rooms"], categorical=["city"])
WORDS = np.array(["clean", "quiet", "view", "staff", "breakfast", "bed", "room", "location", "price", "nice"])
NEW_WORDS = np.array(["casino", "crypto", "giveaway", "bonus"])


def rows(n: int, seed: int, shift: bool = False) -> tuple[pa.Table, Predictions]:
    """Reference-like rows; with ``shift``, price moves, city mix changes, reviews get new words."""
    rng = np.random.default_rng(seed)
    words = np.concatenate([WORDS, NEW_WORDS]) if shift else WORDS
    reviews = [" ".join(rng.choice(words, 6)) for _ in range(n)]
    price = rng.normal(100 + (30 if shift else 0), 20, n)
    table = pa.table(
        {
            "review": reviews,
            "price": price,
            "stay": rng.exponential(3.0, n),
            "rooms": rng.integers(1, 4, n),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n, p=[0.2, 0.3, 0.5] if shift else [0.5, 0.3, 0.2]),
        }
    )
    positive = 1 / (1 + np.exp(-(price - 100) / 20))
    predictions = Predictions(
        (positive >= 0.5).astype(np.int64), np.column_stack([1 - positive, positive]), ["a", "b"]
    )
    return table, predictions


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    table, predictions = rows(6000, seed=0)
    return build_profile(table, FEATURES, predictions)


def test_large_windows_use_wasserstein_and_jensenshannon(profile: ReferenceProfile) -> None:
    report = detect_drift(profile, summarize_table(profile, *rows(5000, seed=1, shift=True)), QUICK)
    price, stay, city = report.column("price"), report.column("stay"), report.column("city")
    assert [t.test for t in price.tests] == ["wasserstein", "psi"]
    assert price.drifted and price.tests[0].statistic == pytest.approx(1.5, abs=0.1)  # 30 / 20
    assert not stay.drifted and stay.tests[0].statistic < 0.05
    assert city.drifted and city.tests[0].test == "jensenshannon"
    assert report.column("rooms").tests[0].test == "jensenshannon"  # 3 distinct values: counted as categories
    assert not report.column("rooms").drifted


def test_small_windows_use_ks_and_chi2(profile: ReferenceProfile) -> None:
    report = detect_drift(profile, summarize_table(profile, *rows(300, seed=2, shift=True)), QUICK)
    price = report.column("price").tests[0]
    assert (price.test, price.current_n, price.reference_n) == ("ks", 300, 5000)  # vs the reference sample
    assert price.drifted and price.p_value is not None and price.p_value < 1e-6
    assert report.column("city").tests[0].test == "chi2" and report.column("city").drifted
    assert report.column("rooms").tests[0].test == "chi2"
    assert not report.column("stay").drifted


def test_nothing_drifts_on_fresh_draws_of_the_reference(profile: ReferenceProfile) -> None:
    report = detect_drift(profile, summarize_table(profile, *rows(5000, seed=3)))
    assert report.drifted_columns == [] and not report.dataset_drifted and not report.prediction_drifted
    assert report.multivariate is not None and not report.multivariate.drifted


def test_text_drift_has_three_tests(profile: ReferenceProfile) -> None:
    report = detect_drift(
        profile, summarize_table(profile, *rows(2000, seed=4, shift=True)), DriftOptions(multivariate=False)
    )
    review = report.column("review")
    tests = {t.test: t for t in review.tests}
    assert set(tests) == {"oov_increase", "length_wasserstein", "domain_classifier"}
    assert tests["oov_increase"].drifted and tests["oov_increase"].statistic == pytest.approx(
        4 / 14, abs=0.03
    )
    assert tests["domain_classifier"].drifted and tests["domain_classifier"].statistic > 0.7
    assert review.drifted


def test_psi_is_reported_and_votes_only_when_asked(profile: ReferenceProfile) -> None:
    summary = summarize_table(profile, *rows(5000, seed=5, shift=True))
    psi_test = next(t for t in detect_drift(profile, summary, QUICK).column("price").tests if t.test == "psi")
    assert psi_test.drifted and not psi_test.votes
    options = DriftOptions(multivariate=False, text_domain_classifier=False, psi_votes=True, wasserstein=10.0)
    assert detect_drift(profile, summary, options).column("price").drifted  # PSI alone now decides


def test_prediction_drift(profile: ReferenceProfile) -> None:
    report = detect_drift(profile, summarize_table(profile, *rows(5000, seed=6, shift=True)), QUICK)
    assert [(t.column, t.test) for t in report.prediction] == [
        ("label", "label_jensenshannon"),
        ("P(b)", "wasserstein"),
    ]
    assert report.prediction_drifted
    small = detect_drift(profile, summarize_table(profile, *rows(200, seed=7)), QUICK)
    assert [t.test for t in small.prediction] == ["label_chi2", "chi2"]  # deciles: no raw probabilities
    assert not small.prediction_drifted


def test_multivariate_drift_catches_a_change_of_correlation() -> None:
    rng = np.random.default_rng(8)
    independent = rng.normal(size=(4000, 2))
    mixed = independent @ np.array([[1.0, 0.0], [0.9, np.sqrt(1 - 0.81)]]).T  # same marginals, ρ = 0.9
    features = FeaturesConfig(numeric=["x", "y"])
    profile = build_profile(pa.table({"x": independent[:, 0], "y": independent[:, 1]}), features)
    current = summarize_table(profile, pa.table({"x": mixed[:, 0], "y": mixed[:, 1]}))
    report = detect_drift(profile, current)
    assert report.drifted_columns == []
    assert report.multivariate is not None and report.multivariate.drifted


def test_the_report_is_json_ready(profile: ReferenceProfile) -> None:
    report = detect_drift(profile, summarize_table(profile, *rows(1500, seed=9, shift=True)))
    document = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert document["current_rows"] == 1500 and document["reference_rows"] == 6000
    assert document["share_drifted"] == report.share_drifted == 0.6  # review, price, city of 5
    assert document["dataset_drifted"] is True
    assert {c["column"] for c in document["columns"]} == {"review", "price", "stay", "rooms", "city"}
    assert document["options"]["wasserstein"] == 0.1


def test_a_column_without_values_is_not_tested(profile: ReferenceProfile) -> None:
    table, predictions = rows(100, seed=10)
    table = table.set_column(1, "price", pa.nulls(100, pa.float64()))
    column = detect_drift(profile, summarize_table(profile, table, predictions), QUICK).column("price")
    assert column.tests == () and not column.drifted and column.current_missing == 1.0
    assert column.note == "no values in the current window: not tested"


def test_an_empty_window_is_an_error(profile: ReferenceProfile) -> None:
    table, _ = rows(10, seed=11)
    with pytest.raises(DataError, match="the current window has no rows"):
        detect_drift(profile, summarize_table(profile, table.slice(0, 0)))


def test_a_summary_of_another_profile_is_an_error(profile: ReferenceProfile) -> None:
    table, _ = rows(500, seed=12)
    other = build_profile(table, FeaturesConfig(numeric=["price"]))
    with pytest.raises(DataError, match="not computed against this reference profile"):
        detect_drift(profile, summarize_table(other, table))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("p_value", 0.0, r"DriftOptions.p_value must be in \(0, 1\], got 0.0"),
        ("wasserstein", -1.0, "DriftOptions.wasserstein must be ≥ 0, got -1.0"),
        ("domain_folds", 1, "DriftOptions.domain_folds must be ≥ 2, got 1"),
    ],
)
def test_options_are_validated(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DriftOptions(**{field: value})  # type: ignore[arg-type]


def test_tabular_features_encode_every_kind(profile: ReferenceProfile) -> None:
    current = summarize_table(profile, rows(50, seed=13)[0]).sample
    matrix, is_current = tabular_features(profile, profile.sample.slice(0, 40), current)
    assert matrix.shape[0] == 90 and is_current.sum() == 50
    # price, stay, rooms: z, z², missing each; 3 products; city: 3 categories, other, missing; TF-IDF.
    assert matrix.shape[1] > 3 * 3 + 3 + 5
