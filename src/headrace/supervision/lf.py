"""Labeling functions: small programs that vote a class for a row or abstain.

Two shapes share one type, :class:`LabelingFunction`:

* row-wise (the default): ``fn(row, **resources) -> int``; ``row`` gives the columns
  as attributes and items (``row.content`` or ``row["content"]``);
* vectorized (``vectorized=True``): ``fn(batch, **resources) -> array`` over a whole
  batch — a pandas DataFrame, or the Arrow record batch with ``batch_format="arrow"`` —
  returning one int per row.

An LF's key is the sha256 of its name, its source, its resources and its
preprocessors' source, so editing an LF (and only that) invalidates its cached output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from headrace.errors import LabelingFunctionError
from headrace.store.hashing import function_source, hash_json
from headrace.supervision.batch import LFBatch, Row
from headrace.supervision.matching import TextMatcher

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

IntArray = npt.NDArray[np.int64]
Preprocessor = Callable[[Row], Row]
#: What a vectorized LF receives: a pandas DataFrame or the Arrow record batch itself.
#: (``"lfbatch"``, the :class:`LFBatch` with its shared caches, is for built-in LFs.)
BatchFormat = Literal["pandas", "arrow", "lfbatch"]


@dataclass(frozen=True)
class LabelingFunction:
    """A named labeling function with everything that determines its output."""

    name: str
    fn: Callable[..., Any]
    vectorized: bool = False
    resources: Mapping[str, Any] = field(default_factory=dict)
    pre: tuple[Preprocessor, ...] = ()
    source: str = ""
    batch_format: BatchFormat = "pandas"

    @property
    def key(self) -> str:
        """Content hash of the LF: name, source, resources and preprocessors."""
        return hash_json(
            {
                "name": self.name,
                "source": self.source,
                "vectorized": self.vectorized,
                "batch_format": self.batch_format,
                "resources": {k: repr(v) for k, v in sorted(self.resources.items())},
                "pre": [function_source(p) for p in self.pre],
            }
        )

    @property
    def releases_gil(self) -> bool:
        """Whether labeling runs mostly in native code (Arrow), so threads can overlap it."""
        return self.vectorized and self.batch_format in ("arrow", "lfbatch")

    @property
    def source_hash(self) -> str:
        """sha256 of the LF's source text alone (shown in lineage)."""
        return hash_json(self.source)

    def label_batch(self, batch: LFBatch, *, on_error: str) -> tuple[IntArray, list[tuple[Any, str]]]:
        """Label every row of ``batch``; return the votes and ``(row id, error)`` failures.

        With ``on_error="raise"`` the first exception stops with the LF name, the row
        id and the exception; with ``"abstain"`` the row gets :data:`ABSTAIN` and the
        failure is returned.
        """
        if self.vectorized:
            return self._label_vectorized(batch, on_error=on_error)
        votes = np.full(len(batch), ABSTAIN, dtype=np.int64)
        failures: list[tuple[Any, str]] = []
        fn, resources, pre = self.fn, self.resources, self.pre
        for i, row in enumerate(batch.rows):
            try:
                for step in pre:
                    row = step(row)
                vote = fn(row, **resources)
            except Exception as exc:
                message = f"{type(exc).__name__}: {exc}"
                if on_error == "raise":
                    raise LabelingFunctionError(
                        f"labeling function {self.name!r} raised on row {batch.row_ids[i]!r}: {message}"
                    ) from exc
                failures.append((batch.row_ids[i], message))
                continue
            if type(vote) is not int:
                vote = _as_vote(self.name, vote, batch.row_ids[i])
            votes[i] = vote
        return votes, failures

    def _label_vectorized(self, batch: LFBatch, *, on_error: str) -> tuple[IntArray, list[tuple[Any, str]]]:
        data: Any = batch.frame
        if self.batch_format == "arrow":
            data = batch.arrow
        elif self.batch_format == "lfbatch":
            data = batch
        try:
            votes = np.asarray(self.fn(data, **self.resources))
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            if on_error == "raise":
                raise LabelingFunctionError(
                    f"labeling function {self.name!r} raised on the batch starting at row "
                    f"{batch.row_ids[0]!r}: {message}"
                ) from exc
            # A vectorized LF fails for a whole batch: every row in it abstains.
            return np.full(len(batch), ABSTAIN, dtype=np.int64), [(rid, message) for rid in batch.row_ids]
        if votes.shape != (len(batch),):
            raise LabelingFunctionError(
                f"labeling function {self.name!r} returned shape {votes.shape} for a batch of "
                f"{len(batch)} rows; a vectorized LF returns one label per row"
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
    batch_format: BatchFormat = "pandas",
) -> Callable[[Callable[..., Any]], LabelingFunction]:
    """Turn a function into a :class:`LabelingFunction`.

    Parameters
    ----------
    name : str, optional
        The LF's name (default: the function's name); unique within a project.
    vectorized : bool
        The function labels a whole batch at once and returns one int per row.
    resources : mapping, optional
        Keyword arguments passed to every call (word lists, models); part of the key.
    pre : sequence of callables
        Row-wise preprocessors applied in order before the function (row → row).
    batch_format : {"pandas", "arrow"}
        What a vectorized function receives: a DataFrame or the Arrow record batch.

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
            source=function_source(fn),
            batch_format=batch_format,
        )

    return wrap


@dataclass(frozen=True)
class _MatchVote:
    """Vote ``label`` where ``column`` matches, abstain elsewhere (an Arrow-batch LF)."""

    matcher: TextMatcher
    column: str
    label: int

    def __call__(self, batch: LFBatch) -> IntArray:
        hits = self.matcher.search(batch.text(self.column))
        return np.where(hits, self.label, ABSTAIN).astype(np.int64)


def _match_lf(
    name: str, kind: str, pattern: str, label: int, column: str, ignore_case: bool
) -> LabelingFunction:
    try:
        matcher = TextMatcher(pattern, ignore_case)
    except re.error as exc:
        raise LabelingFunctionError(f"{kind} {name!r}: invalid pattern {pattern!r}: {exc}") from exc
    # The key must change when the pattern, label or column does, not when the shared
    # helper's source does: describe the LF by its specification.
    spec = f"{kind}(column={column!r}, pattern={pattern!r}, label={label}, ignore_case={ignore_case})"
    return LabelingFunction(
        name=name,
        fn=_MatchVote(matcher, column, label),
        vectorized=True,
        source=spec,
        batch_format="lfbatch",
    )


def keyword_lf(
    name: str, keywords: Sequence[str], *, label: int, column: str, case_sensitive: bool = False
) -> LabelingFunction:
    """An LF that votes ``label`` when ``column`` contains any of ``keywords``, else abstains.

    Compiled to one vectorized scan over each batch (RE2 where it agrees with ``re``).
    """
    if not keywords:
        raise LabelingFunctionError(f"keyword_lf {name!r}: give at least one keyword")
    pattern = "|".join(re.escape(word) for word in keywords)
    return _match_lf(name, "keyword_lf", pattern, label, column, not case_sensitive)


def regex_lf(
    name: str, pattern: str, *, label: int, column: str, case_sensitive: bool = False
) -> LabelingFunction:
    """An LF that votes ``label`` where ``re.search(pattern, column)`` finds a match.

    Compiled to a vectorized scan (see :class:`~headrace.supervision.matching.TextMatcher`).
    """
    return _match_lf(name, "regex_lf", pattern, label, column, not case_sensitive)


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
