"""``ModelPackage``: a fitted pipeline plus everything needed to use and trace it.

A package is stored as a manifest and files (:mod:`headrace.registry.storage`); this
module is the in-memory object and its prediction, which never changes state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from headrace.data.frame import prepare_frame
from headrace.errors import ModelPackageError
from headrace.project.config import FeaturesConfig
from headrace.registry.manifest import Manifest

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["ModelPackage"]


@dataclass(frozen=True)
class ModelPackage:
    """A trained model with its featurizer inside, its classes, input schema and lineage.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline; it reads the DataFrame :func:`headrace.data.prepare_frame`
        makes from ``features`` and has ``predict_proba``.
    classes : list of str
        Class names; index = class id (the columns of :meth:`predict_proba`).
    features : FeaturesConfig
        The feature columns by kind.
    input_schema : dict
        Column → Arrow type (``"string"``, ``"int64"``, …) of every feature column.
    lineage : dict
        Role → object id of what the model was trained from (``snapshot``,
        ``training_labels``, ``label_matrix``, …).
    threshold : float, optional
        Binary models only: :meth:`predict` answers class 1 when ``P(class 1) > threshold``
        (the rule :func:`headrace.train.decide` tunes and scores thresholds with, so
        ``0.5`` agrees with the arg-max). ``None`` predicts the most probable class.
    metrics : dict
        Training-time scores (e.g. of a search on gold dev). Test scores are recorded
        at registration, not in the package.
    manifest, object_id, compatibility
        Set by :func:`~headrace.registry.load_package`: the stored manifest, its object
        id (the model's id), and one note per library whose running version differs
        from the packaged one. ``None``/empty for a package not loaded from a store.
    """

    pipeline: Pipeline
    classes: list[str]
    features: FeaturesConfig
    input_schema: dict[str, str]
    lineage: dict[str, str] = field(default_factory=dict)
    threshold: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    manifest: Manifest | None = field(default=None, compare=False, repr=False)
    object_id: str | None = field(default=None, compare=False)
    compatibility: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
            raise ModelPackageError(f"classes must be at least two unique names, got {self.classes}")
        columns = [*self.features.text, *self.features.numeric, *self.features.categorical]
        missing = [c for c in columns if c not in self.input_schema]
        if missing:
            raise ModelPackageError(
                f"input_schema must give the Arrow type of every feature column; missing {missing}"
            )
        if self.threshold is not None:
            if len(self.classes) != 2:
                raise ModelPackageError(
                    f"a decision threshold needs a binary model; this one has {len(self.classes)} classes"
                )
            if not 0.0 <= self.threshold <= 1.0:
                raise ModelPackageError(f"threshold must be between 0 and 1, got {self.threshold}")

    @property
    def columns(self) -> list[str]:
        """The input columns the model reads, text first, then numeric, then categorical."""
        return [*self.features.text, *self.features.numeric, *self.features.categorical]

    def predict_proba(self, table: pa.Table) -> npt.NDArray[np.float64]:
        """Class probabilities for each row of ``table`` (columns as at training), shape (n, k).

        Raises
        ------
        DataError
            A feature column is missing from ``table``.
        """
        probs = self.pipeline.predict_proba(prepare_frame(table, self.features))
        return np.asarray(probs, dtype=np.float64)

    def predict(self, table: pa.Table) -> npt.NDArray[np.int64]:
        """Class index per row.

        With a ``threshold`` (binary models): 1 where ``P(class 1) > threshold``, else 0.
        Without: the most probable class; ties go to the lowest index.

        Examples
        --------
        >>> package.predict(pa.table({"content": ["check out my channel"]}))  # doctest: +SKIP
        array([1])
        """
        return self.decide(self.predict_proba(table))

    def decide(self, probs: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """Class index per row of ``probs`` (from :meth:`predict_proba`), by the rule of :meth:`predict`.

        Lets a caller that needs both the probabilities and the labels (serving) run
        the model once.
        """
        if self.threshold is not None:
            return np.asarray(probs[:, 1] > self.threshold, dtype=np.int64)
        return np.asarray(np.argmax(probs, axis=1), dtype=np.int64)
