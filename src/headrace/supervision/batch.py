"""``LFBatch``: one partition of rows in every form an LF may ask for, each built once.

Vectorized LFs read the Arrow batch or a pandas DataFrame; row-wise LFs read
:class:`Row` objects. Each form is materialized on first use and shared by every LF
that labels the partition, so ten row-wise LFs convert the rows once, not ten times.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import pandas as pd
import pyarrow as pa

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

    def __len__(self) -> int:
        return int(self.arrow.num_rows)

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
