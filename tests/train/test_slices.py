"""Scores per slice of the gold rows, on a hand-built case with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from headrace.errors import TrainingError
from headrace.supervision import apply_slices, slicing_function
from headrace.train import evaluate_slices

CLASSES = ["ham", "spam"]
# Eight gold rows; the model decides (P(spam) > 0.5) 1 1 0 0 | 1 0 0 1.
GOLD = pd.DataFrame(
    {
        "content": ["win $$", "free!!", "nice", "love it", "http://x", "meh", "ok http://y", "wow"],
        "label": [1, 1, 0, 0, 1, 1, 0, 0],
    }
)
P_SPAM = np.array([0.9, 0.8, 0.2, 0.1, 0.7, 0.4, 0.3, 0.6])
PROBS = np.column_stack([1 - P_SPAM, P_SPAM])


@slicing_function()
def has_url(row: object) -> bool:
    return "http" in str(getattr(row, "content", ""))


@slicing_function(vectorized=True)
def short(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(frame["content"].str.len() <= 6)


@slicing_function()
def nothing(row: object) -> bool:
    return False


def test_each_slice_is_scored_on_its_own_rows() -> None:
    masks = apply_slices([has_url, short, nothing], GOLD)

    scores = evaluate_slices(GOLD["label"].to_numpy(), PROBS, masks, CLASSES)

    # has_url: rows 4 (spam, decided spam) and 6 (ham, decided ham) -> all right
    assert scores["has_url"]["n_rows"] == 2
    assert (scores["has_url"]["accuracy"], scores["has_url"]["f1"]) == (1.0, 1.0)
    # short (<= 6 characters): rows 0 1 2 5 7 -> gold 1 1 0 1 0, decided 1 1 0 0 1
    assert scores["short"]["n_rows"] == 5
    assert scores["short"]["accuracy"] == pytest.approx(3 / 5)
    assert scores["short"]["precision"] == pytest.approx(2 / 3)
    assert scores["short"]["recall"] == pytest.approx(2 / 3)
    assert scores["short"]["confusion"] == [[1, 1], [1, 2]]
    assert scores["short"]["per_class"]["spam"]["support"] == 3


def test_an_empty_slice_has_no_scores_and_does_not_fail() -> None:
    scores = evaluate_slices(GOLD["label"].to_numpy(), PROBS, apply_slices([nothing], GOLD), CLASSES)

    assert scores["nothing"]["n_rows"] == 0
    assert scores["nothing"]["accuracy"] is None and scores["nothing"]["intervals"] is None
    assert scores["nothing"]["confusion"] == [[0, 0], [0, 0]]


def test_a_one_class_slice_gets_no_roc_auc_and_tiny_slices_no_intervals() -> None:
    only_spam = {"spam_rows": GOLD["label"].to_numpy() == 1}

    scores = evaluate_slices(GOLD["label"].to_numpy(), PROBS, only_spam, CLASSES)["spam_rows"]

    assert scores["roc_auc"] is None
    assert scores["recall"] == 0.75  # rows 0 1 4 right, row 5 missed
    assert scores["per_class"]["ham"]["f1"] == 0.0
    assert scores["intervals"] is None


def test_large_slices_get_intervals_and_the_threshold_applies() -> None:
    y = np.tile(GOLD["label"].to_numpy(), 5)
    probs = np.tile(PROBS, (5, 1))
    masks = {"all": np.ones(len(y), dtype=bool)}

    scores = evaluate_slices(y, probs, masks, CLASSES, threshold=0.65)["all"]

    assert scores["threshold"] == 0.65
    # above 0.65: rows 0 1 4 (spam); row 7 (ham, 0.6) is now right, row 5 (spam, 0.4) still missed
    assert scores["confusion"] == [[20, 0], [5, 15]]
    assert (
        scores["intervals"]["accuracy"]["low"]
        <= scores["accuracy"]
        <= scores["intervals"]["accuracy"]["high"]
    )


def test_a_mask_of_the_wrong_length_or_type_is_refused() -> None:
    y = GOLD["label"].to_numpy()

    with pytest.raises(TrainingError, match=r"slice 'bad': the mask must be one boolean per gold row \(8\)"):
        evaluate_slices(y, PROBS, {"bad": np.ones(3, dtype=bool)}, CLASSES)
    with pytest.raises(TrainingError, match="got dtype int64"):
        evaluate_slices(y, PROBS, {"bad": np.ones(8, dtype=np.int64)}, CLASSES)
