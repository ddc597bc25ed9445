"""Results of the drift tests: one :class:`DriftTest` per statistic, grouped per column.

A test's ``drifted`` is its own verdict; a column drifts when any of its *voting*
tests does (PSI is reported without a vote by default), and the dataset drifts when
at least ``options.drift_share`` of the tested columns do. ``to_dict()`` gives
JSON-ready dicts (non-finite floats become ``None``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    from headrace.monitor.drift import DriftOptions

__all__ = ["ColumnDrift", "DriftReport", "DriftTest", "Kind"]

#: What a test looked at: an input column of a kind, all inputs together, or the outputs.
Kind = Literal["numeric", "categorical", "text", "multivariate", "prediction"]


@dataclass(frozen=True)
class DriftTest:
    """One test's result. ``votes`` says whether it counts in its column's verdict."""

    column: str
    kind: Kind
    test: str
    statistic: float
    threshold: float
    p_value: float | None
    drifted: bool
    reference_n: int
    current_n: int
    votes: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {key: _json_value(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class ColumnDrift:
    """The tests of one input column and its verdict (any voting test drifted)."""

    column: str
    kind: Kind
    tests: tuple[DriftTest, ...]
    reference_missing: float
    current_missing: float
    note: str | None = None

    @property
    def drifted(self) -> bool:
        return any(t.drifted for t in self.tests if t.votes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "drifted": self.drifted,
            "reference_missing": self.reference_missing,
            "current_missing": self.current_missing,
            "note": self.note,
            "tests": [t.to_dict() for t in self.tests],
        }


@dataclass(frozen=True)
class DriftReport:
    """Per-column drift, multivariate drift and prediction drift of one current window."""

    columns: tuple[ColumnDrift, ...]
    multivariate: DriftTest | None
    prediction: tuple[DriftTest, ...]
    reference_rows: int
    current_rows: int
    options: DriftOptions

    def column(self, name: str) -> ColumnDrift:
        """The result of input column ``name``."""
        for result in self.columns:
            if result.column == name:
                return result
        raise KeyError(name)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def share_drifted(self) -> float:
        """Drifted columns over tested columns (0 when none could be tested)."""
        tested = [c for c in self.columns if c.tests]
        return sum(c.drifted for c in tested) / len(tested) if tested else 0.0

    @property
    def dataset_drifted(self) -> bool:
        return bool(self.columns) and self.share_drifted >= self.options.drift_share

    @property
    def prediction_drifted(self) -> bool:
        return any(t.drifted for t in self.prediction if t.votes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report."""
        return {
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "share_drifted": self.share_drifted,
            "dataset_drifted": self.dataset_drifted,
            "drifted_columns": self.drifted_columns,
            "columns": [c.to_dict() for c in self.columns],
            "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
            "prediction": {
                "drifted": self.prediction_drifted,
                "tests": [t.to_dict() for t in self.prediction],
            },
            "options": asdict(self.options),
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value
