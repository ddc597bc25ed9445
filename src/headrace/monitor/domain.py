"""Domain classifiers: can a model tell current rows from reference rows?

A logistic regression learns to separate the reference sample (label 0) from the
current sample (label 1); its out-of-fold ROC AUC is the drift statistic. With no
drift it is close to 0.5. The threshold is the ``quantile`` (95th percentile) of the
AUCs the same out-of-fold scores get when the domain labels are shuffled — the null
distribution of a classifier that learned nothing, which is also the Mann–Whitney U
null — and never below ``min_auc`` (0.55), because with thousands of rows a shift
too small to matter is still significant. Drift is ``auc > threshold``.

Features:

* text: TF-IDF of the monitoring tokens (:mod:`headrace.monitor.tokens`), sublinear,
  tokens in at least 2 documents, 20,000 at most;
* tabular (the multivariate test): numeric columns standardized with the reference's
  mean and standard deviation, their squares (changes of scale) and pairwise products
  (changes of correlation, among the first 15 numeric columns), a missing-value indicator;
  one-hot categories (the reference's 50 most frequent, then "other" and "missing");
  and TF-IDF of text columns; logistic regression with ``C = 0.1`` (hundreds of
  correlated columns). It finds shifts of location, scale, correlation and category
  mix; not higher-order interactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from scipy.stats import rankdata
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from headrace.monitor.profile import ReferenceProfile
from headrace.monitor.tokens import tokenize_array

__all__ = ["DomainResult", "domain_classifier", "tabular_features", "text_features"]

# scipy is untyped here, so a sparse matrix is Any to mypy; the alias documents intent.
Matrix: TypeAlias = Any

_TOP_CATEGORIES = 50
_MAX_INTERACTING = 15
_MAX_TOKENS = 20_000


@dataclass(frozen=True)
class DomainResult:
    """Out-of-fold ROC AUC of a domain classifier and its permutation null."""

    auc: float
    null_quantile: float
    p_value: float
    reference_n: int
    current_n: int


def domain_classifier(
    features: Matrix,
    is_current: npt.NDArray[np.bool_],
    *,
    folds: int = 3,
    permutations: int = 200,
    quantile: float = 0.95,
    seed: int = 0,
    regularization: float = 1.0,
) -> DomainResult:
    """Fit the reference-vs-current classifier and score it (see the module docstring).

    Parameters
    ----------
    features : scipy.sparse.csr_matrix or numpy.ndarray
        One row per sampled row, reference and current together.
    is_current : numpy.ndarray of bool
        Which rows are current.
    folds : int
        Cross-validation folds for the out-of-fold scores.
    permutations : int
        Shuffles of the domain labels for the null distribution.
    quantile : float
        Quantile of the null AUCs used as the threshold.
    seed : int
        Seeds the folds, the solver and the shuffles.
    regularization : float
        Inverse L2 strength ``C`` of the logistic regression.
    """
    y = is_current.astype(np.int64)
    current_n = int(y.sum())
    reference_n = int(y.shape[0] - current_n)
    if min(current_n, reference_n) < folds or features.shape[1] == 0:
        # Too few rows to cross-validate, or nothing to learn from: no evidence of drift.
        return DomainResult(0.5, 1.0, 1.0, reference_n, current_n)
    # tol 1e-3: the AUC is settled long before liblinear's default 1e-4 (2× faster).
    model = LogisticRegression(
        C=regularization,
        class_weight="balanced",
        max_iter=300,
        tol=1e-3,
        solver="liblinear",
        random_state=seed,
    )
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(model, features, y, cv=cv, method="decision_function")
    auc = float(roc_auc_score(y, scores))
    null = _permuted_aucs(scores, current_n, permutations, seed)
    p_value = float((1 + np.sum(null >= auc)) / (permutations + 1))
    return DomainResult(auc, float(np.quantile(null, quantile)), p_value, reference_n, current_n)


def text_features(reference: pa.Array, current: pa.Array) -> tuple[Matrix, npt.NDArray[np.bool_]]:
    """TF-IDF rows of reference then current texts, and which rows are current."""
    documents = pa.concat_arrays([_strings(reference), _strings(current)])
    matrix = _tfidf(documents)
    return matrix, _domain(len(reference), len(current))


def tabular_features(
    profile: ReferenceProfile, reference: pa.Table, current: pa.Table
) -> tuple[Matrix, npt.NDArray[np.bool_]]:
    """Rows of reference then current samples as the multivariate classifier sees them."""
    both = pa.concat_tables([reference.select(profile.columns), current.select(profile.columns)])
    blocks: list[Matrix] = []
    standardized = []
    for name, ref in profile.numeric.items():
        values = np.asarray(pc.cast(both.column(name), pa.float64()).to_numpy(zero_copy_only=False))
        missing = ~np.isfinite(values)
        mean = ref.stats.mean if ref.stats.mean is not None else 0.0
        std = ref.stats.std if ref.stats.std else 1.0
        # Clipped so one wild value cannot dominate the linear model.
        z = np.clip(np.where(missing, 0.0, (values - mean) / std), -10.0, 10.0)
        standardized.append(z)
        blocks.append(np.column_stack([z, z**2, missing.astype(np.float64)]))
    interacting = standardized[:_MAX_INTERACTING]
    if len(interacting) > 1:
        blocks.append(np.column_stack([a * b for a, b in combinations(interacting, 2)]))
    for name, cat in profile.categorical.items():
        blocks.append(_one_hot(both.column(name), cat.categories[:_TOP_CATEGORIES]))
    dense = sparse.csr_matrix(np.hstack(blocks)) if blocks else None
    parts = [dense] if dense is not None else []
    for name in profile.text:
        parts.append(_tfidf(_strings(both.column(name))))
    matrix = sparse.hstack(parts, format="csr") if parts else sparse.csr_matrix((both.num_rows, 0))
    return matrix, _domain(reference.num_rows, current.num_rows)


def _permuted_aucs(
    scores: npt.NDArray[np.float64], positives: int, permutations: int, seed: int
) -> npt.NDArray[np.float64]:
    # AUC = (rank sum of positives - n1(n1+1)/2) / (n1 n0): rank once, shuffle labels many times.
    ranks = rankdata(scores)
    negatives = scores.shape[0] - positives
    rng = np.random.default_rng(seed)
    order = rng.permuted(np.tile(np.arange(scores.shape[0]), (permutations, 1)), axis=1)
    rank_sums = ranks[order[:, :positives]].sum(axis=1)
    return np.asarray(
        (rank_sums - positives * (positives + 1) / 2) / (positives * negatives), dtype=np.float64
    )


def _tfidf(documents: pa.Array) -> Matrix:
    tokens = tokenize_array(documents).to_pylist()
    vectorizer = TfidfVectorizer(
        analyzer=_as_is, min_df=2, max_features=_MAX_TOKENS, sublinear_tf=True, dtype=np.float64
    )
    try:
        return sparse.csr_matrix(vectorizer.fit_transform([t or [] for t in tokens]))
    except ValueError:  # no token appears in two documents: nothing to learn from
        return sparse.csr_matrix((len(tokens), 0))


def _as_is(tokens: list[str]) -> list[str]:
    return tokens


def _one_hot(column: pa.ChunkedArray, categories: tuple[str, ...]) -> npt.NDArray[np.float64]:
    strings = pc.cast(column, pa.string())
    index = np.asarray(
        pc.fill_null(pc.index_in(strings, value_set=pa.array(categories, type=pa.string())), -1)
    )
    missing = np.asarray(pc.is_null(strings))
    slot = np.where(missing, len(categories) + 1, np.where(index < 0, len(categories), index))
    encoded = np.zeros((slot.shape[0], len(categories) + 2))
    encoded[np.arange(slot.shape[0]), slot] = 1.0
    return encoded


def _strings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return pc.cast(column, pa.string())


def _domain(reference_n: int, current_n: int) -> npt.NDArray[np.bool_]:
    return np.concatenate([np.zeros(reference_n, dtype=bool), np.ones(current_n, dtype=bool)])
