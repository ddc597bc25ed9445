"""Ground truth when it arrives: labels for logged predictions, joined by request id.

Feedback is append-only: each call writes one Parquet file (temporary name, then
rename) under ``.headrace/feedback/``. A request id labelled twice keeps its latest
label, so a correction is just more feedback.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from headrace.data.sources import read_table
from headrace.errors import DataError

__all__ = ["FEEDBACK_DIRNAME", "FeedbackResult", "feedback_source", "read_feedback_file", "record_feedback"]

#: Folder of the store that holds feedback files.
FEEDBACK_DIRNAME = "feedback"


@dataclass(frozen=True)
class FeedbackResult:
    """What one batch of feedback did."""

    rows: int
    file: Path
    matched: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"rows": self.rows, "file": str(self.file), "matched": self.matched}


def read_feedback_file(path: Path) -> pa.Table:
    """A CSV/Parquet/JSONL file of feedback (columns ``request_id`` and ``label``)."""
    if not path.exists():
        raise DataError(f"{path}: no such feedback file")
    return read_table(path)


def record_feedback(
    root: Path, table: pa.Table, classes: Sequence[str], *, source: str = "feedback"
) -> FeedbackResult:
    """Check ``table`` and append it to the feedback under ``root``.

    Parameters
    ----------
    root : Path
        The feedback folder (``.headrace/feedback``).
    table : pyarrow.Table
        ``request_id`` (the id ``/v1/predict`` answered) and ``label`` (a class name)
        per row; other columns are ignored.
    classes : sequence of str
        The task's class names; any other label is refused.

    Raises
    ------
    DataError
        A column is missing, a value is null, or a label is not a class; the
        message names the row. Nothing is written then.
    """
    missing = [c for c in ("request_id", "label") if c not in table.column_names]
    if missing:
        raise DataError(
            f"{source} lacks column(s) {missing}; it needs request_id and label, has {table.column_names}"
        )
    if table.num_rows == 0:
        raise DataError(f"{source} holds no rows")
    ids = table.column("request_id").cast(pa.string())
    labels = table.column("label").cast(pa.string())
    for name, column in (("request_id", ids), ("label", labels)):
        if column.null_count:
            row = pc.index(pc.is_null(column), True).as_py()
            raise DataError(f"{source}: row {row} has no {name}")
    unknown = pc.invert(pc.is_in(labels, value_set=pa.array(list(classes), type=pa.string())))
    if pc.any(unknown).as_py():
        row = pc.index(unknown, True).as_py()
        raise DataError(
            f"{source}: row {row} has label {labels[row].as_py()!r}, which is not a class; "
            f"the classes are {list(classes)}"
        )
    now = datetime.now(UTC)
    stored = pa.table(
        {
            "request_id": ids,
            "label": labels,
            "received_at": pa.array([now] * table.num_rows, type=pa.timestamp("us", tz="UTC")),
        }
    )
    root.mkdir(parents=True, exist_ok=True)
    name = f"feedback-{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.parquet"
    temporary = root / f".{name}.tmp"
    pq.write_table(stored, temporary)
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, root / name)
    return FeedbackResult(stored.num_rows, root / name)


def feedback_source(root: Path) -> str | None:
    """SQL for the latest label per request id (``request_id``, ``true_label``); ``None`` without feedback."""
    if not root.exists() or next(root.glob("*.parquet"), None) is None:
        return None
    pattern = str(root / "*.parquet").replace("'", "''")
    return (
        "(SELECT request_id, arg_max(label, received_at) AS true_label "
        f"FROM read_parquet('{pattern}') GROUP BY request_id)"
    )
