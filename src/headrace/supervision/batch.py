"""``LFBatch``: one partition of rows in every form an LF may ask for, each built once.

Vectorized LFs read the Arrow batch or a pandas DataFrame; row-wise LFs read
:class:`Row` objects. Each form is materialized on first use and shared by every LF
that labels the partition, so ten row-wise LFs convert the rows once, not ten times.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

import pandas as pd
import pyarrow as pa

from headrace.supervision.matching import TextColumn

__all__ = ["LFBatch", "Row"]


class Row(dict[str, Any]):
    """One data row: a dict whose keys can also be read as attributes; nulls are ``None``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"row has no column {name!r}; columns: {sorted(self)}") from None


class LFBatch:
    """A partition of the data being labeled."""

    def __init__(self, batch: pa.RecordBatch, id_column: str) -> None:
        self.arrow = batch
        self.id_column = id_column
        self._texts: dict[str, TextColumn] = {}
        self._lock = threading.Lock()  # LFs over Arrow data may label a batch in threads

    def __len__(self) -> int:
        return int(self.arrow.num_rows)

    def text(self, column: str) -> TextColumn:
        """``column`` prepared for text matching, shared by every matching LF."""
        with self._lock:
            if column not in self._texts:
                if column not in self.arrow.schema.names:
                    raise KeyError(f"no column {column!r}; columns: {self.arrow.schema.names}")
                self._texts[column] = TextColumn(self.arrow.column(column))
            return self._texts[column]

    @cached_property
    def row_ids(self) -> list[Any]:
        """The id of each row, in order."""
        return list(self.arrow.column(self.id_column).to_pylist())

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The batch as a pandas DataFrame."""
        frame: pd.DataFrame = self.arrow.to_pandas()
        return frame

    @cached_property
    def rows(self) -> list[Row]:
        """The batch as :class:`Row` objects (Arrow nulls become ``None``, not NaN)."""
        return [Row(record) for record in self.arrow.to_pylist()]
