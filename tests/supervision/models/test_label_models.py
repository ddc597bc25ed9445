"""The label-model contract, checked the same way for every entry of LABEL_MODELS.

Adding a label model is adding it to ``LABEL_MODELS``; it is then held to every check
here: ``fit`` returns ``self``, learned state ends in ``_``, ``predict_proba`` is a
distribution per row, ``predict`` is its arg-max with ties to the lowest class,
prediction changes nothing, and bad input fails with a :class:`LabelModelError`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from headrace.errors import LabelModelError
from headrace.supervision import LABEL_MODELS, LabelModelProtocol

NAMES = sorted(LABEL_MODELS)


def make(name: str, k: int) -> LabelModelProtocol:
    return LABEL_MODELS[name](k)


def votes(k: int, *, n: int = 80, m: int = 5, seed: int = 0) -> npt.NDArray[np.int64]:
    """Seeded votes that mostly agree with a hidden label, with abstains."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    noisy = np.where(rng.random((n, m)) < 0.75, y[:, None], rng.integers(0, k, (n, m)))
    return np.where(rng.random((n, m)) < 0.6, noisy, -1)


def assert_same_state(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert before.keys() == after.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value, err_msg=key)
        else:
            assert after[key] == value, key


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=[2, 3])
def k(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def test_the_constructor_stores_the_cardinality_and_learns_nothing(name: str, k: int) -> None:
    model = make(name, k)

    assert model.cardinality == k
    assert not [attr for attr in vars(model) if attr.endswith("_")]


def test_fit_returns_the_model_and_keeps_learned_state_in_underscore_attributes(name: str, k: int) -> None:
    model = make(name, k)
    params = dict(vars(model))

    assert model.fit(votes(k)) is model

    learned = set(vars(model)) - set(params)
    assert learned
    assert all(attr.endswith("_") for attr in learned)
    assert {attr: vars(model)[attr] for attr in params} == params


def test_predict_proba_gives_a_distribution_over_classes_per_row(name: str, k: int) -> None:
    L = votes(k)
    probs = make(name, k).fit(L).predict_proba(L)

    assert probs.shape == (len(L), k)
    assert probs.dtype == np.float64
    assert np.all(np.isfinite(probs))
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_predict_is_the_argmax_of_predict_proba(name: str, k: int) -> None:
    L = votes(k)
    model = make(name, k).fit(L)

    predictions = model.predict(L)

    np.testing.assert_array_equal(predictions, np.argmax(model.predict_proba(L), axis=1))
    assert predictions.dtype == np.int64


def test_predict_breaks_ties_towards_the_lowest_class(
    name: str, k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make(name, k).fit(votes(k))
    last_two, everything, first_and_last = np.zeros((3, k))
    last_two[-2:] = 0.5
    everything[:] = 1 / k
    first_and_last[[0, -1]] = 0.5
    monkeypatch.setattr(model, "predict_proba", lambda _: np.stack([last_two, everything, first_and_last]))

    assert model.predict(votes(k, n=3)).tolist() == [k - 2, 0, 0]


def test_prediction_changes_neither_the_model_nor_its_input(name: str, k: int) -> None:
    L = votes(k)
    model = make(name, k).fit(L)
    state = copy.deepcopy(vars(model))
    L_before = L.copy()
    first = model.predict_proba(L)

    model.predict(L[:10])
    model.predict_proba(votes(k, seed=1))

    assert_same_state(state, vars(model))
    np.testing.assert_array_equal(L, L_before)
    np.testing.assert_array_equal(model.predict_proba(L), first)


def test_fitting_twice_on_the_same_votes_gives_the_same_model(name: str, k: int) -> None:
    L = votes(k)

    first = make(name, k).fit(L)
    second = make(name, k).fit(L)

    assert_same_state(vars(first), vars(second))
    np.testing.assert_array_equal(first.predict_proba(L), second.predict_proba(L))


def test_prediction_before_fit_is_refused(name: str, k: int) -> None:
    model = make(name, k)

    for predict in (model.predict, model.predict_proba):
        with pytest.raises(LabelModelError, match=r"is not fitted; call fit\(L\) first"):
            predict(votes(k))


def test_a_matrix_with_another_number_of_lfs_is_refused(name: str, k: int) -> None:
    model = make(name, k).fit(votes(k, m=5))

    with pytest.raises(LabelModelError, match=r"L has 4 LFs but \w+ was fitted on 5"):
        model.predict_proba(votes(k, m=4))
    with pytest.raises(LabelModelError, match="L has 6 LFs"):
        model.predict(votes(k, m=6))


@pytest.mark.parametrize("bad", [-2, "k"])
def test_votes_outside_the_classes_are_refused(name: str, k: int, bad: int | str) -> None:
    L = votes(k)
    L[3, 1] = k if bad == "k" else bad
    model = make(name, k)

    with pytest.raises(LabelModelError, match=rf"expected -1 \(abstain\) or 0\.\.{k - 1}"):
        model.fit(L)
    model.fit(votes(k))
    with pytest.raises(LabelModelError, match="L holds values in"):
        model.predict_proba(L)


def test_non_integer_votes_are_refused(name: str, k: int) -> None:
    with pytest.raises(LabelModelError, match="L must hold integers"):
        make(name, k).fit(votes(k).astype(float))


@pytest.mark.parametrize("balance", [[1.0], [0.0, 1.0], [0.7, 0.7]])
def test_an_invalid_class_balance_is_refused(name: str, balance: list[float]) -> None:
    with pytest.raises(LabelModelError, match="class_balance must be 2 positive numbers summing to 1"):
        make(name, 2).fit(votes(2), class_balance=balance)


def test_rows_without_votes_and_empty_matrices_still_get_distributions(name: str, k: int) -> None:
    L = votes(k)
    model = make(name, k).fit(L)
    silent = np.full((2, L.shape[1]), -1)

    np.testing.assert_allclose(model.predict_proba(silent).sum(axis=1), 1.0)
    assert model.predict_proba(silent[:0]).shape == (0, k)
    assert make(name, k).fit(silent[:0]).predict_proba(L).shape == (len(L), k)


@st.composite
def label_matrices(draw: st.DrawFn) -> tuple[int, npt.NDArray[np.int64]]:
    k = draw(st.integers(min_value=2, max_value=4))
    shape = draw(st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=6)))
    return k, draw(hnp.arrays(np.int64, shape, elements=st.integers(min_value=-1, max_value=k - 1)))


@pytest.mark.parametrize("model_name", NAMES)
@settings(max_examples=40, deadline=None)
@given(case=label_matrices())
def test_any_valid_matrix_gives_distributions_and_valid_classes(
    model_name: str, case: tuple[int, npt.NDArray[np.int64]]
) -> None:
    k, L = case
    model = make(model_name, k).fit(L)

    probs = model.predict_proba(L)
    predictions = model.predict(L)

    assert probs.shape == (len(L), k)
    assert np.all(np.isfinite(probs)) and np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-9)
    assert np.all((predictions >= 0) & (predictions < k))
