"""Vectorized regular-expression matching with Python ``re`` semantics, at RE2 speed.

``keyword_lf`` and ``regex_lf`` promise exactly what ``re.search(pattern, text, flags)``
would answer per row, but scanning a batch in Python costs one interpreter round trip
per row. Arrow's ``match_substring_regex`` (RE2, in C++) scans a whole column at once.
For ASCII patterns the two agree except on the escapes whose meaning is Unicode-aware in
Python and ASCII-only in RE2 (``\\b \\B \\w \\W \\d \\D \\s \\S``); those differ only on
rows holding a non-ASCII letter, digit or space (or, for ``\\s``, the ASCII control
characters Python counts as whitespace). So RE2 scans the whole column and Python
``re`` re-answers just those rows — a few percent of real comments. Patterns RE2 cannot
run (lookarounds, backreferences) or non-ASCII patterns go to Python entirely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TextMatcher"]

# Escapes whose meaning differs between Python (Unicode) and RE2 (ASCII).
_UNICODE_AWARE = re.compile(r"\\[bBwWdDsS]")
# Rows where those escapes may answer differently: a non-ASCII letter, number or
# separator (RE2 syntax: "not ASCII and not non-letter" = non-ASCII letter, …), or NEL.
_NON_ASCII_WORD_OR_SPACE = r"[^\x00-\x7f\P{L}]|[^\x00-\x7f\P{N}]|[^\x00-\x7f\P{Z}]|\x{85}"
# ASCII control characters Python's ``\s`` matches and RE2's does not.
_EXTRA_PY_SPACE = r"[\x0b\x1c-\x1f]"


@dataclass(frozen=True)
class TextMatcher:
    """``re.search(pattern, str(value), flags)`` over an Arrow column, vectorized."""

    pattern: str
    ignore_case: bool
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _use_re2: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        flags = re.IGNORECASE if self.ignore_case else 0
        object.__setattr__(self, "_compiled", re.compile(self.pattern, flags))
        object.__setattr__(self, "_use_re2", self.pattern.isascii() and _re2_accepts(self.pattern))

    def search(self, column: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
        """Return whether the pattern is found in each value (nulls read as ``""``)."""
        text = pc.fill_null(_as_text(column), "")
        if not self._use_re2:
            return self._search_python(text.to_pylist())
        hits = pc.match_substring_regex(text, self.pattern, ignore_case=self.ignore_case)
        result = np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)
        if not _UNICODE_AWARE.search(self.pattern):
            return result
        suspect = _NON_ASCII_WORD_OR_SPACE
        if "\\s" in self.pattern or "\\S" in self.pattern:
            suspect += "|" + _EXTRA_PY_SPACE
        differs = pc.match_substring_regex(text, suspect)
        rest = np.flatnonzero(np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool))
        if len(rest):
            values = text.take(pa.array(rest)).to_pylist()
            result[rest] = self._search_python(values)
        return result

    def _search_python(self, values: list[Any]) -> npt.NDArray[np.bool_]:
        search = self._compiled.search
        return np.fromiter((search(v) is not None for v in values), dtype=bool, count=len(values))


def _as_text(column: pa.Array | pa.ChunkedArray) -> Any:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_dictionary(column.type):
        return column.cast(pa.string())
    return pa.array([None if v is None else str(v) for v in column.to_pylist()], type=pa.string())


def _re2_accepts(pattern: str) -> bool:
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False  # lookarounds, backreferences: Python only
    return True
