"""Transformation functions: small programs that turn a training row into a new one.

Two shapes share one type, :class:`TransformationFunction`:

* row-wise (the default): ``fn(row, **resources) -> row | None``; ``row`` is a copy of
  the data row that reads columns as attributes and items (``row.content``,
  ``row["content"]``); return the whole new row (``{**row, "content": ...}``) or
  ``None`` to make no copy of this row;
* vectorized (``vectorized=True``): ``fn(batch, **resources) -> batch`` over many rows
  at once — a pandas DataFrame, or an Arrow table with ``batch_format="arrow"`` —
  returning a table of the same rows and columns (rows it leaves as they were yield no
  copy).

A function that declares a parameter named ``rng`` gets a seeded
``numpy.random.Generator``: augmentation is random, but reproducible from its seed.
Like an LF's, a TF's key is the sha256 of its name, its source and its resources, so
editing a TF (and only that) invalidates the augmented rows made with it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from headrace.errors import AugmentationError
from headrace.store.hashing import function_source, hash_json
from headrace.supervision.batch import Row

__all__ = [
    "BatchFormat",
    "TransformationFunction",
    "collect_tfs",
    "transformation_function",
]

#: What a vectorized TF receives: a pandas DataFrame or an Arrow table.
BatchFormat = Literal["pandas", "arrow"]


def _takes_rng(fn: Callable[..., Any]) -> bool:
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class TransformationFunction:
    """A named transformation function with everything that determines its output."""

    name: str
    fn: Callable[..., Any]
    vectorized: bool = False
    resources: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    batch_format: BatchFormat = "pandas"
    takes_rng: bool = False

    @property
    def key(self) -> str:
        """Content hash of the TF: name, shape, source and resources."""
        return hash_json(
            {
                "name": self.name,
                "source": self.source,
                "vectorized": self.vectorized,
                "batch_format": self.batch_format,
                "resources": {k: repr(v) for k, v in sorted(self.resources.items())},
            }
        )

    @property
    def source_hash(self) -> str:
        """sha256 of the TF's source text alone (shown in lineage)."""
        return hash_json(self.source)

    def _call(self, data: Any, rng: np.random.Generator) -> Any:
        if self.takes_rng:
            return self.fn(data, **self.resources, rng=rng)
        return self.fn(data, **self.resources)

    def transform_rows(
        self, rows: list[dict[str, Any]], row_ids: list[Any], rng: np.random.Generator
    ) -> list[dict[str, Any] | None]:
        """Transform each row on its own; ``None`` where the TF made no copy.

        Raises
        ------
        AugmentationError
            The TF raised, or returned something other than a whole row or ``None``;
            the message names the TF and the row id.
        """
        out: list[dict[str, Any] | None] = []
        for row, row_id in zip(rows, row_ids, strict=True):
            try:
                # A copy: a TF that edits its argument in place must not change the
                # original row (kept for training) or the input of the next copy.
                result = self._call(Row(row), rng)
            except Exception as exc:
                raise AugmentationError(
                    f"transformation function {self.name!r} raised on row {row_id!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            out.append(None if result is None else self._check_row(result, row, row_id))
        return out

    def _check_row(self, result: Any, row: dict[str, Any], row_id: Any) -> dict[str, Any]:
        if not isinstance(result, Mapping):
            raise AugmentationError(
                f"transformation function {self.name!r} returned {type(result).__name__} "
                f"{_short(result)} on row {row_id!r}; expected the whole new row (a dict of every "
                "column, e.g. {**row, 'content': ...}) or None to make no copy"
            )
        new = dict(result)
        if new.keys() != row.keys():
            missing = sorted(row.keys() - new.keys())
            extra = sorted(new.keys() - row.keys())
            raise AugmentationError(
                f"transformation function {self.name!r} returned a row with different columns on row "
                f"{row_id!r} (missing {missing}, unknown {extra}); return every column of the row, "
                "e.g. {**row, 'content': ...}"
            )
        return new

    def transform_batch(
        self, table: pa.Table, first_id: Any, rng: np.random.Generator
    ) -> list[dict[str, Any]]:
        """Transform a vectorized batch; one row dict per input row, in order.

        Raises
        ------
        AugmentationError
            The TF raised, or returned another number of rows, other columns, or
            values that do not fit the columns' types.
        """
        data: Any = table if self.batch_format == "arrow" else table.to_pandas()
        try:
            result = self._call(data, rng)
        except Exception as exc:
            raise AugmentationError(
                f"transformation function {self.name!r} raised on the batch starting at row "
                f"{first_id!r}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(result, pd.DataFrame | pa.Table):
            raise AugmentationError(
                f"transformation function {self.name!r} returned {type(result).__name__}; a vectorized "
                "TF returns a pandas DataFrame or an Arrow table of the same rows and columns"
            )
        if isinstance(result, pd.DataFrame):
            columns = [str(c) for c in result.columns]
        else:
            columns = list(result.column_names)
        if len(result) != table.num_rows or sorted(columns) != sorted(table.column_names):
            raise AugmentationError(
                f"transformation function {self.name!r} returned {len(result)} rows with columns "
                f"{columns} for a batch of {table.num_rows} rows with columns {table.column_names}; "
                "a vectorized TF returns the same rows and columns"
            )
        if isinstance(result, pd.DataFrame):
            try:
                result = pa.Table.from_pandas(result, schema=table.schema, preserve_index=False)
            except (pa.ArrowException, ValueError, TypeError) as exc:
                raise AugmentationError(
                    f"transformation function {self.name!r} returned values that do not fit the "
                    f"columns' types ({exc}); keep each column's type"
                ) from exc
        rows: list[dict[str, Any]] = result.select(table.column_names).to_pylist()
        return rows


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def transformation_function(
    name: str | None = None,
    *,
    vectorized: bool = False,
    resources: Mapping[str, Any] | None = None,
    batch_format: BatchFormat = "pandas",
) -> Callable[[Callable[..., Any]], TransformationFunction]:
    """Turn a function into a :class:`TransformationFunction`.

    Parameters
    ----------
    name : str, optional
        The TF's name (default: the function's name); unique within a project.
    vectorized : bool
        The function transforms a whole batch and returns a table of the same shape.
    resources : mapping, optional
        Keyword arguments passed to every call (word lists, synonym tables); part of the key.
    batch_format : {"pandas", "arrow"}
        What a vectorized function receives: a DataFrame or an Arrow table.

    Raises
    ------
    AugmentationError
        A resource is named ``rng`` (that name is reserved for the seeded generator).

    Examples
    --------
    >>> @transformation_function()
    ... def shout(row):
    ...     return {**row, "content": row.content.upper()} if row.content else None
    >>> shout.name, shout.vectorized
    ('shout', False)
    """
    given = dict(resources or {})
    if "rng" in given:
        raise AugmentationError(
            "transformation_function: the resource name 'rng' is reserved for the seeded random "
            "generator a TF receives; rename the resource"
        )

    def wrap(fn: Callable[..., Any]) -> TransformationFunction:
        return TransformationFunction(
            name=name or fn.__name__,
            fn=fn,
            vectorized=vectorized,
            resources=given,
            source=function_source(fn),
            batch_format=batch_format,
            takes_rng=_takes_rng(fn),
        )

    return wrap


def collect_tfs(module: ModuleType) -> list[TransformationFunction]:
    """Return the module's transformation functions in definition order; names must be unique.

    Raises
    ------
    AugmentationError
        Two TFs share a name, or the module defines none.
    """
    where = getattr(module, "__file__", None) or module.__name__
    seen: dict[str, TransformationFunction] = {}
    for value in vars(module).values():
        if not isinstance(value, TransformationFunction):
            continue
        if value.name in seen and seen[value.name] is not value:
            raise AugmentationError(
                f"{where}: two transformation functions are named {value.name!r}; names must be unique"
            )
        seen[value.name] = value
    if not seen:
        raise AugmentationError(
            f"{where}: defines no transformation functions; decorate functions with "
            "@transformation_function() or use typo_tf/case_tf/punctuation_tf"
        )
    return list(seen.values())
