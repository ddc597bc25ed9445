"""Reading the prediction log with DuckDB: rows of a model, by window, out of core.

The log is Hive-partitioned Parquet (:mod:`headrace.serve.predlog`). Every query
goes through :func:`log_source`, so a reader never sees a temporary file of a write
in progress and models with different input columns read together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from headrace.errors import DataError

__all__ = ["LogWindow", "connect", "list_windows", "log_source", "parse_window", "read_log_rows"]

_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
_COUNT = re.compile(r"^(\d+) rows$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class LogWindow:
    """A window of logged predictions: ``[start, end)`` in time, or row numbers ``[first, last]``."""

    index: int
    start: datetime
    end: datetime
    rows: int
    first_row: int | None = None
    last_row: int | None = None

    def where(self) -> str:
        """SQL condition selecting the window's rows of :func:`log_source` (aliased ``l``, numbered)."""
        if self.first_row is not None:
            return f"l.row_number BETWEEN {self.first_row} AND {self.last_row}"
        return f"l.logged_at >= '{self.start.isoformat()}' AND l.logged_at < '{self.end.isoformat()}'"

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rows": self.rows,
        }


def parse_window(spec: str) -> timedelta | int:
    """``"1h"`` → a duration; ``"10000 rows"`` → a row count."""
    if match := _DURATION.match(spec):
        amount = int(match.group(1))
        if amount <= 0:
            raise DataError(f"window {spec!r}: the length must be positive")
        return timedelta(**{_UNITS[match.group(2)]: amount})
    if match := _COUNT.match(spec):
        rows = int(match.group(1))
        if rows <= 0:
            raise DataError(f"window {spec!r}: the row count must be positive")
        return rows
    raise DataError(f"window {spec!r}: use a duration such as 30m, 1h, 1d, or a count such as '10000 rows'")


def connect(memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a memory limit (it spills to disk beyond it)."""
    connection = duckdb.connect()
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    # Timestamps come back as naive UTC (see _utc): Python timezone objects from DuckDB
    # would need pytz.
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def log_source(root: Path, model_id: str | None = None, *, numbered: bool = True) -> str | None:
    """SQL for the log rows (of ``model_id``); ``None`` when nothing is logged.

    With ``numbered``, ``row_number`` counts rows from 1 in ``logged_at`` order (ties
    by request id), which is what count windows cut; it costs a sort of the log.
    """
    folder = root if model_id is None else root / f"model={model_id}"
    if not folder.exists() or next(folder.rglob("*.parquet"), None) is None:
        return None
    pattern = str(folder / "**" / "*.parquet").replace("'", "''")
    scan = f"read_parquet('{pattern}', union_by_name = true, hive_partitioning = false)"
    if not numbered:
        return scan
    return f"(SELECT *, row_number() OVER (ORDER BY logged_at, request_id) AS row_number FROM {scan})"


def list_windows(
    connection: duckdb.DuckDBPyConnection, source: str, window: timedelta | int
) -> list[LogWindow]:
    """The windows of the log that hold rows, oldest first."""
    if isinstance(window, int):
        query = (
            f"SELECT (row_number - 1) // {window} AS w, min(logged_at)::TIMESTAMP, "
            f"max(logged_at)::TIMESTAMP, count(*), min(row_number), max(row_number) "
            f"FROM {source} GROUP BY w ORDER BY w"
        )
        return [
            LogWindow(i, _utc(start), _utc(end), rows, first, last)
            for i, (_, start, end, rows, first, last) in enumerate(connection.execute(query).fetchall())
        ]
    seconds = int(window.total_seconds())
    query = (
        f"SELECT time_bucket(INTERVAL '{seconds} seconds', logged_at)::TIMESTAMP AS w, count(*) "
        f"FROM {source} GROUP BY w ORDER BY w"
    )
    return [
        LogWindow(i, _utc(start), _utc(start) + window, rows)
        for i, (start, rows) in enumerate(connection.execute(query).fetchall())
    ]


def read_log_rows(
    connection: duckdb.DuckDBPyConnection,
    source: str,
    columns: list[str],
    *,
    where: str = "TRUE",
    classes: list[str] | None = None,
    feedback: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
) -> pa.Table:
    """The window's rows as Arrow, in logging order.

    Columns: ``request_id``, ``logged_at``, ``label``, the input ``columns`` (flattened
    out of ``inputs``), with ``classes`` one ``probability_<class>`` each, and with a
    ``feedback`` source (:func:`headrace.serve.feedback.feedback_source`) ``true_label``
    (null where no ground truth arrived). ``max_rows`` keeps a uniform sample of a
    larger window (seeded), which bounds the memory of what reads rows in Python.
    """
    selected = ["l.request_id", "l.logged_at", "l.label"]
    selected += [f'l.inputs."{c}" AS "{c}"' for c in columns]
    selected += [f'l.probabilities."{c}" AS "probability_{c}"' for c in classes or []]
    joined = f"{source} l"
    if feedback is not None:
        selected.append("f.true_label")
        joined += f" LEFT JOIN {feedback} f ON f.request_id = l.request_id"
    query = f"SELECT {', '.join(selected)}, l.row_number FROM {joined} WHERE {where}"
    if max_rows is not None:
        query = (
            f"SELECT * FROM ({query}) USING SAMPLE reservoir({int(max_rows)} ROWS) REPEATABLE ({int(seed)})"
        )
    query = f"SELECT * EXCLUDE (row_number) FROM ({query}) ORDER BY row_number"
    try:
        return connection.sql(query).to_arrow_table()
    except duckdb.Error as exc:
        raise DataError(f"cannot read the prediction log: {exc}") from exc
