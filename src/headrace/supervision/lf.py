"""Labeling functions: small programs that vote a class for a row or abstain.

Two shapes share one type, :class:`LabelingFunction`:

* row-wise (the default): ``fn(row, **resources) -> int``; ``row`` gives the columns
  as attributes and items (``row.content`` or ``row["content"]``);
* vectorized (``vectorized=True``): ``fn(frame, **resources) -> array`` over a whole
  batch as a pandas DataFrame, returning one int per row.

An LF's key is the sha256 of its name, its source, its resources and its
preprocessors' source, so editing an LF (and only that) invalidates its cached output.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from headrace.errors import LabelingFunctionError
from headrace.store.hashing import hash_json

__all__ = [
    "ABSTAIN",
    "LabelingFunction",
    "Row",
    "collect_lfs",
    "keyword_lf",
    "labeling_function",
    "regex_lf",
]

#: The vote of a labeling function that does not label a row.
ABSTAIN = -1

RowFn = Callable[..., int]
BatchFn = Callable[..., Any]
Preprocessor = Callable[["Row"], "Row"]


class Row(dict[str, Any]):
    """One data row: a dict whose keys can also be read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"row has no column {name!r}; columns: {sorted(self)}") from None


def _source_of(fn: Callable[..., Any]) -> str:
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        # Built in or defined interactively: fall back to the bytecode, still stable
        # for an unchanged function within one Python version.
        code = getattr(fn, "__code__", None)
        return repr(code.co_code) if code is not None else repr(fn)


@dataclass(frozen=True)
class LabelingFunction:
    """A named labeling function with everything that determines its output."""

    name: str
    fn: Callable[..., Any]
    vectorized: bool = False
    resources: Mapping[str, Any] = field(default_factory=dict)
    pre: tuple[Preprocessor, ...] = ()
    source: str = ""

    @property
    def key(self) -> str:
        """Content hash of the LF: name, source, resources and preprocessors."""
        return hash_json(
            {
                "name": self.name,
                "source": self.source,
                "vectorized": self.vectorized,
                "resources": {k: repr(v) for k, v in sorted(self.resources.items())},
                "pre": [_source_of(p) for p in self.pre],
            }
        )

    @property
    def source_hash(self) -> str:
        """sha256 of the LF's source text alone (shown in lineage)."""
        return hash_json(self.source)

    def label_batch(
        self, frame: pd.DataFrame, row_ids: Sequence[Any], *, on_error: str
    ) -> tuple[npt.NDArray[np.int64], list[tuple[Any, str]]]:
        """Label every row of ``frame``; return the votes and ``(row id, error)`` failures.

        With ``on_error="raise"`` the first exception stops with the LF name, the row
        id and the exception; with ``"abstain"`` the row gets :data:`ABSTAIN` and the
        failure is returned.
        """
        if self.vectorized:
            return self._label_vectorized(frame, row_ids, on_error=on_error)
        votes = np.full(len(frame), ABSTAIN, dtype=np.int64)
        failures: list[tuple[Any, str]] = []
        for i, record in enumerate(frame.to_dict("records")):
            row = Row(cast(dict[str, Any], record))
            try:
                for step in self.pre:
                    row = step(row)
                vote = self.fn(row, **self.resources)
            except Exception as exc:
                message = f"{type(exc).__name__}: {exc}"
                if on_error == "raise":
                    raise LabelingFunctionError(
                        f"labeling function {self.name!r} raised on row {row_ids[i]!r}: {message}"
                    ) from exc
                failures.append((row_ids[i], message))
                continue
            votes[i] = _as_vote(self.name, vote, row_ids[i])
        return votes, failures

    def _label_vectorized(
        self, frame: pd.DataFrame, row_ids: Sequence[Any], *, on_error: str
    ) -> tuple[npt.NDArray[np.int64], list[tuple[Any, str]]]:
        try:
            out = self.fn(frame, **self.resources)
            votes = np.asarray(out)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            if on_error == "raise":
                raise LabelingFunctionError(
                    f"labeling function {self.name!r} raised on the batch starting at row "
                    f"{row_ids[0]!r}: {message}"
                ) from exc
            # A vectorized LF fails for a whole batch: every row in it abstains.
            return np.full(len(frame), ABSTAIN, dtype=np.int64), [(rid, message) for rid in row_ids]
        if votes.shape != (len(frame),):
            raise LabelingFunctionError(
                f"labeling function {self.name!r} returned shape {votes.shape} for a batch of "
                f"{len(frame)} rows; a vectorized LF returns one label per row"
            )
        integral = np.issubdtype(votes.dtype, np.integer)
        if not integral and (np.issubdtype(votes.dtype, np.bool_) or not np.all(np.mod(votes, 1) == 0)):
            raise LabelingFunctionError(
                f"labeling function {self.name!r} returned non-integer labels "
                f"(dtype {votes.dtype}); return class indices or -1 (abstain)"
            )
        return votes.astype(np.int64), []


def _as_vote(name: str, vote: Any, row_id: Any) -> int:
    if isinstance(vote, bool) or not isinstance(vote, int | np.integer):
        raise LabelingFunctionError(
            f"labeling function {name!r} returned {vote!r} on row {row_id!r}; "
            "expected an int: -1 (abstain) or a class index"
        )
    return int(vote)


def labeling_function(
    name: str | None = None,
    *,
    vectorized: bool = False,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Preprocessor] = (),
) -> Callable[[Callable[..., Any]], LabelingFunction]:
    """Turn a function into a :class:`LabelingFunction`.

    Examples
    --------
    >>> @labeling_function()
    ... def short(row):
    ...     return 0 if len(row.content) < 20 else ABSTAIN
    >>> short.name
    'short'
    """

    def wrap(fn: Callable[..., Any]) -> LabelingFunction:
        return LabelingFunction(
            name=name or fn.__name__,
            fn=fn,
            vectorized=vectorized,
            resources=dict(resources or {}),
            pre=tuple(pre),
            source=_source_of(fn),
        )

    return wrap


def _match_lf(name: str, kind: str, pattern: str, label: int, column: str, flags: int) -> LabelingFunction:
    compiled = re.compile(pattern, flags)

    def vote(frame: pd.DataFrame) -> npt.NDArray[np.int64]:
        text = frame[column].astype("string").fillna("")
        hits = text.str.contains(compiled, regex=True).to_numpy(dtype=bool)
        return np.where(hits, label, ABSTAIN).astype(np.int64)

    # The key must change when the pattern, label or column does, not when the shared
    # helper's source does: describe the LF by its specification.
    spec = f"{kind}(column={column!r}, pattern={pattern!r}, label={label}, flags={flags})"
    return LabelingFunction(name=name, fn=vote, vectorized=True, source=spec)


def keyword_lf(
    name: str, keywords: Sequence[str], *, label: int, column: str, case_sensitive: bool = False
) -> LabelingFunction:
    """An LF that votes ``label`` when ``column`` contains any of ``keywords``, else abstains.

    Compiled to one vectorized regular-expression scan over each batch.
    """
    if not keywords:
        raise LabelingFunctionError(f"keyword_lf {name!r}: give at least one keyword")
    pattern = "|".join(re.escape(word) for word in keywords)
    flags = 0 if case_sensitive else re.IGNORECASE
    return _match_lf(name, "keyword_lf", pattern, label, column, flags)


def regex_lf(
    name: str, pattern: str, *, label: int, column: str, case_sensitive: bool = False
) -> LabelingFunction:
    """An LF that votes ``label`` when ``pattern`` matches anywhere in ``column``."""
    flags = 0 if case_sensitive else re.IGNORECASE
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        raise LabelingFunctionError(f"regex_lf {name!r}: invalid pattern {pattern!r}: {exc}") from exc
    return _match_lf(name, "regex_lf", pattern, label, column, flags)


def collect_lfs(module: ModuleType) -> list[LabelingFunction]:
    """Return the module's labeling functions in definition order; names must be unique."""
    lfs = [v for v in vars(module).values() if isinstance(v, LabelingFunction)]
    seen: dict[str, LabelingFunction] = {}
    for lf in lfs:
        if lf.name in seen and seen[lf.name] is not lf:
            raise LabelingFunctionError(
                f"{module.__file__}: two labeling functions are named {lf.name!r}; names must be unique"
            )
        seen[lf.name] = lf
    if not seen:
        raise LabelingFunctionError(
            f"{module.__file__}: defines no labeling functions; decorate functions with "
            "@labeling_function() or use keyword_lf/regex_lf"
        )
    return list(seen.values())
