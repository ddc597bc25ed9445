"""Reference profiles: the statistics kept, their validation, and exact, stable bytes."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headrace.errors import DataError
from headrace.monitor import ProfileSettings, ReferenceProfile, build_profile, tokenize
from headrace.monitor.profile import binning_of
from headrace.monitor.tokens import tokenize_array
from headrace.project import FeaturesConfig
from headrace.serve.predictor import Predictions

FEATURES = FeaturesConfig(text=["review"], numeric=["price", "rooms"], categorical=["city"])


def reference_table(rows: int = 3000, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    price = rng.lognormal(4.0, 0.5, rows)
    price[:30] = np.nan  # NaN and nulls are both missing
    return pa.table(
        {
            "review": pa.array(
                rng.choice(["Great view!", "noisy street, small room", "Clean & quiet"], rows)
            ),
            "price": pa.array(price, mask=np.arange(rows) % 100 == 1),
            "rooms": rng.integers(1, 4, rows),
            "city": rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], rows, p=[0.4, 0.3, 0.2, 0.1]),
            "unused": np.zeros(rows),
        }
    )


def reference_predictions(rows: int, seed: int = 0) -> Predictions:
    positive = np.random.default_rng(seed).beta(2, 5, rows)
    probabilities = np.column_stack([1 - positive, positive])
    return Predictions((positive >= 0.5).astype(np.int64), probabilities, ["ham", "spam"])


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    table = reference_table()
    return build_profile(table, FEATURES, reference_predictions(table.num_rows))


def test_tokens_are_lowercase_runs_of_letters_and_digits() -> None:
    assert tokenize("Don't PANIC, 42 times!") == ["don", "t", "panic", "42", "times"]
    assert tokenize("Straße ÉCOLE naïve_x") == ["straße", "école", "naïve", "x"]
    tokens = tokenize_array(pa.array(["  Hi--there ", None, "", "..."]))
    assert tokens.to_pylist() == [["hi", "there"], None, [], []]


def test_numeric_quantiles_are_numpys_inverted_cdf(profile: ReferenceProfile) -> None:
    values = reference_table().column("price").to_numpy(zero_copy_only=False)
    values = values[np.isfinite(values)]
    levels = np.linspace(0, 1, profile.settings.quantiles)
    expected = np.quantile(values, levels, method="inverted_cdf")
    assert np.array_equal(profile.numeric["price"].binning.quantiles, expected)


def test_numeric_moments_and_buckets(profile: ReferenceProfile) -> None:
    values = reference_table().column("price").to_numpy(zero_copy_only=False)
    present = values[np.isfinite(values)]
    price = profile.numeric["price"]
    assert (price.stats.count, price.stats.nulls) == (present.size, values.size - present.size)
    assert price.stats.mean == pytest.approx(present.mean())
    assert price.stats.std == pytest.approx(present.std())  # population std, like Evidently's
    assert (price.stats.minimum, price.stats.maximum) == (present.min(), present.max())
    edges = price.binning.edges_array()
    expected = np.bincount(np.searchsorted(edges, present, side="left"), minlength=edges.size + 1)
    assert price.stats.bins == tuple(expected)
    assert not price.binning.discrete and price.stats.bins[-1] == 0  # nothing above the maximum


def test_few_distinct_values_are_bucketed_value_by_value(profile: ReferenceProfile) -> None:
    rooms = profile.numeric["rooms"]
    assert rooms.binning.discrete
    assert rooms.binning.edges == (1.0, 2.0, 3.0)
    counts = np.bincount(reference_table().column("rooms").to_numpy())[1:]
    assert rooms.stats.bins == (*counts, 0)


def test_tail_levels_keep_the_outer_buckets_narrow() -> None:
    values = np.random.default_rng(1).normal(size=100_000)
    binning = binning_of(values, 1001)
    assert len(binning.edges) > 1001  # the even levels plus the tails
    widths = np.diff(binning.edges_array())
    assert widths[-1] < 0.3 and widths[0] < 0.3  # without tail levels: ≈ 1 standard deviation


def test_categories_are_ranked_and_the_rest_counted_as_other() -> None:
    table = reference_table()
    profile = build_profile(
        table, FeaturesConfig(categorical=["city"]), settings=ProfileSettings(top_categories=2)
    )
    city = profile.categorical["city"]
    assert city.categories == ("Oslo", "Lima")
    counts = dict(
        zip(*np.unique(table.column("city").to_numpy(zero_copy_only=False), return_counts=True), strict=True)
    )
    assert city.stats.counts == (counts["Oslo"], counts["Lima"], counts["Pune"] + counts["Kyiv"])


def test_text_vocabulary_and_lengths() -> None:
    table = pa.table({"review": ["b a a", "c a", None, "b d"]})
    profile = build_profile(
        table, FeaturesConfig(text=["review"]), settings=ProfileSettings(vocabulary_size=2)
    )
    review = profile.text["review"]
    assert review.vocabulary == ("a", "b") and review.frequencies == (3, 2)
    assert (review.stats.count, review.stats.nulls) == (3, 1)
    assert (review.stats.tokens, review.stats.oov_tokens) == (7, 2)  # "c" and "d" are past the top 2
    assert review.expected_oov_rate == pytest.approx(2 / 7)  # c and d: words of a single text
    assert review.stats.length.mean == pytest.approx(11 / 3)  # 5, 3 and 3 characters


def test_expected_oov_counts_words_of_one_text_and_words_past_the_vocabulary() -> None:
    table = pa.table({"review": ["x x x y", "y z", "z w", "y w"]})
    # Counts: y 3 (3 texts), x 3 (1 text), z 2, w 2. Kept: x, y. Unseen-like: x (one text);
    # past the vocabulary and in several texts: z, w.
    review = build_profile(
        table, FeaturesConfig(text=["review"]), settings=ProfileSettings(vocabulary_size=2)
    ).text
    assert review["review"].vocabulary == ("x", "y")
    assert review["review"].expected_oov_rate == pytest.approx((3 + 2 + 2) / 10)


def test_predictions_are_profiled_per_class(profile: ReferenceProfile) -> None:
    prediction = profile.prediction
    assert prediction is not None and prediction.classes == ("ham", "spam")
    predictions = reference_predictions(3000)
    assert prediction.stats.label_counts == (*np.bincount(predictions.label_ids, minlength=2), 0)
    spam = prediction.stats.probabilities[1]
    assert spam.mean == pytest.approx(predictions.probabilities[:, 1].mean())


def test_the_sample_is_bounded_seeded_and_typed() -> None:
    table = reference_table()
    small = ProfileSettings(sample_size=100, seed=3)
    first = build_profile(table, FEATURES, settings=small)
    assert first.sample.num_rows == 100
    assert first.sample.column_names == ["review", "price", "rooms", "city"]
    assert first.sample.schema.field("rooms").type == pa.float64()
    assert first.sample.equals(build_profile(table, FEATURES, settings=small).sample)
    assert not first.sample.equals(
        build_profile(table, FEATURES, settings=ProfileSettings(sample_size=100)).sample
    )


def test_round_trip_is_exact_and_bytes_are_stable(profile: ReferenceProfile) -> None:
    data = profile.to_bytes()
    again = ReferenceProfile.from_bytes(data)
    assert again == profile
    assert again.to_bytes() == data
    table = reference_table()
    rebuilt = build_profile(table, FEATURES, reference_predictions(table.num_rows))
    assert hashlib.sha256(rebuilt.to_bytes()).digest() == hashlib.sha256(data).digest()


def test_the_bytes_are_a_parquet_file_of_the_sample_with_json_statistics(
    profile: ReferenceProfile, tmp_path: pytest.TempPathFactory
) -> None:
    path = tmp_path / "profile.parquet"  # type: ignore[operator]
    path.write_bytes(profile.to_bytes())
    table = pq.read_table(path)
    assert table.num_rows == profile.sample.num_rows
    document = json.loads(table.schema.metadata[b"headrace.profile"])
    assert document["format"] == 1 and document["rows"] == 3000
    assert [entry["name"] for entry in document["numeric"]] == ["price", "rooms"]


def test_reading_something_else_says_what_is_wrong(profile: ReferenceProfile) -> None:
    with pytest.raises(DataError, match="not a headrace reference profile"):
        ReferenceProfile.from_bytes(b"not parquet")
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"x": [1]}), sink)
    with pytest.raises(DataError, match=r"no 'headrace\.profile' metadata"):
        ReferenceProfile.from_bytes(sink.getvalue().to_pybytes())
    newer = profile.sample.replace_schema_metadata({b"headrace.profile": json.dumps({"format": 99}).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(newer, sink)
    with pytest.raises(DataError, match=r"format 99 is not readable.*upgrade headrace"):
        ReferenceProfile.from_bytes(sink.getvalue().to_pybytes())


def test_a_missing_column_is_named_with_the_fix() -> None:
    table = reference_table().drop_columns(["rooms"])
    with pytest.raises(
        DataError, match=r"reference data: numeric column 'rooms' is missing.*train\.features\.numeric"
    ):
        build_profile(table, FEATURES)


def test_a_column_of_the_wrong_type_is_named() -> None:
    table = reference_table().set_column(1, "price", pa.array(["cheap"] * 3000))
    with pytest.raises(
        DataError, match="numeric column 'price' must hold integers, floats or booleans, got string"
    ):
        build_profile(table, FEATURES)


def test_a_column_listed_twice_is_rejected() -> None:
    with pytest.raises(DataError, match="'price' is listed as both numeric and categorical"):
        build_profile(reference_table(), FeaturesConfig(numeric=["price"], categorical=["price"]))


def test_predictions_must_match_the_rows() -> None:
    table = reference_table()
    with pytest.raises(DataError, match="expected 3000 labels and a 3000 × 2 probability matrix"):
        build_profile(table, FEATURES, reference_predictions(10))
    bad = Predictions(np.full(3000, 2), reference_predictions(3000).probabilities, ["ham", "spam"])
    with pytest.raises(DataError, match=r"label ids must be 0\.\.1"):
        build_profile(table, FEATURES, bad)


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match=r"ProfileSettings\.quantiles must be an integer ≥ 3, got 1"):
        ProfileSettings(quantiles=1)


def test_an_all_missing_column_is_profiled_as_empty() -> None:
    table = pa.table({"x": pa.array([None, None], type=pa.float64())})
    x = build_profile(table, FeaturesConfig(numeric=["x"])).numeric["x"]
    assert (x.stats.count, x.stats.nulls, x.stats.mean, x.binning.edges) == (0, 2, None, ())
