"""Slicing functions: name the subsets of rows whose metrics matter on their own.

A slicing function says whether a row belongs to a slice (``short_comments``,
``non_english``, ``has_url``). Two shapes share one type, :class:`SlicingFunction`:

* row-wise (the default): ``fn(row) -> bool``, where ``row`` reads columns as
  attributes or items (``row.content``), nulls as ``None``;
* vectorized (``vectorized=True``): ``fn(frame) -> array`` of one bool per row over a
  pandas DataFrame of the whole table.

A project's ``slices.py`` defines them with :func:`slicing_function`;
:func:`collect_slices` gathers them and :func:`apply_slices` turns them into boolean
masks, which :func:`headrace.train.evaluate_slices` scores.

Examples
--------
>>> @slicing_function()
... def short(row):
...     return len(row.content) < 10
>>> import pandas as pd
>>> apply_slices([short], pd.DataFrame({"content": ["hi", "a much longer comment"]}))["short"]
array([ True, False])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from headrace.errors import LabelingFunctionError
from headrace.store.hashing import function_source, hash_json
from headrace.supervision.batch import Row

__all__ = ["SlicingFunction", "apply_slices", "collect_slices", "slicing_function"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SlicingFunction:
    """A named slicing function and the source that determines it."""

    name: str
    fn: Callable[..., Any]
    vectorized: bool = False
    source: str = ""

    @property
    def key(self) -> str:
        """Content hash of the slicing function: its name, shape and source."""
        return hash_json({"name": self.name, "vectorized": self.vectorized, "source": self.source})

    def mask(self, table: pa.Table | pd.DataFrame) -> BoolArray:
        """One bool per row of ``table``: is the row in the slice?

        Raises
        ------
        LabelingFunctionError
            The function raises, or returns something other than bools (one per row).
        """
        if self.vectorized:
            return self._vectorized(table.to_pandas() if isinstance(table, pa.Table) else table)
        rows = table.to_pylist() if isinstance(table, pa.Table) else _records(table)
        out = np.zeros(len(rows), dtype=bool)
        for i, record in enumerate(rows):
            try:
                member = self.fn(Row(record))
            except Exception as exc:
                raise LabelingFunctionError(
                    f"slicing function {self.name!r} raised on row {i}: {type(exc).__name__}: {exc}"
                ) from exc
            if not isinstance(member, bool | np.bool_):
                raise LabelingFunctionError(
                    f"slicing function {self.name!r} returned {member!r} on row {i}; expected True or False"
                )
            out[i] = bool(member)
        return out

    def _vectorized(self, frame: pd.DataFrame) -> BoolArray:
        try:
            result = self.fn(frame)
        except Exception as exc:
            raise LabelingFunctionError(
                f"slicing function {self.name!r} raised: {type(exc).__name__}: {exc}"
            ) from exc
        values = np.asarray(result)
        if values.dtype != np.bool_ or values.shape != (len(frame),):
            raise LabelingFunctionError(
                f"slicing function {self.name!r} returned dtype {values.dtype} and shape {values.shape} "
                f"for {len(frame)} rows; a vectorized slicing function returns one bool per row"
            )
        return values


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with missing values as ``None`` (as Arrow's ``to_pylist`` gives them)."""
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{str(column): value for column, value in record.items()} for record in records]


def slicing_function(
    name: str | None = None, *, vectorized: bool = False
) -> Callable[[Callable[..., Any]], SlicingFunction]:
    """Turn a function into a :class:`SlicingFunction`.

    Parameters
    ----------
    name : str, optional
        The slice's name (default: the function's name); unique within a project.
    vectorized : bool
        The function takes a whole DataFrame and returns one bool per row.

    Examples
    --------
    >>> @slicing_function("long", vectorized=True)
    ... def long_comments(frame):
    ...     return frame["content"].str.len() > 100
    >>> long_comments.name, long_comments.vectorized
    ('long', True)
    """

    def wrap(fn: Callable[..., Any]) -> SlicingFunction:
        return SlicingFunction(
            name=name or fn.__name__, fn=fn, vectorized=vectorized, source=function_source(fn)
        )

    return wrap


def collect_slices(module: ModuleType) -> list[SlicingFunction]:
    """The module's slicing functions in definition order; names must be unique.

    Raises
    ------
    LabelingFunctionError
        Two slicing functions share a name.
    """
    seen: dict[str, SlicingFunction] = {}
    for value in vars(module).values():
        if not isinstance(value, SlicingFunction):
            continue
        if value.name in seen and seen[value.name] is not value:
            raise LabelingFunctionError(
                f"{module.__file__}: two slicing functions are named {value.name!r}; names must be unique"
            )
        seen[value.name] = value
    return list(seen.values())


def apply_slices(slices: Sequence[SlicingFunction], table: pa.Table | pd.DataFrame) -> dict[str, BoolArray]:
    """``{slice name: mask}`` for every slicing function over the rows of ``table``.

    Raises
    ------
    LabelingFunctionError
        Two slices share a name, or a slicing function fails or returns non-bools.
    """
    masks: dict[str, BoolArray] = {}
    for sf in slices:
        if sf.name in masks:
            raise LabelingFunctionError(f"two slicing functions are named {sf.name!r}; names must be unique")
        masks[sf.name] = sf.mask(table)
    return masks
