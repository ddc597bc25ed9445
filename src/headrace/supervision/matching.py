"""Vectorized regular-expression matching with Python ``re`` semantics, at RE2 speed.

``keyword_lf`` and ``regex_lf`` promise exactly what ``re.search(pattern, text, flags)``
would answer per row, but scanning a batch in Python costs one interpreter round trip
per row. Arrow's ``match_substring_regex`` (RE2, in C++) scans a whole column at once.
The two agree except on the escapes whose meaning is Unicode-aware in
Python and ASCII-only in RE2 (``\\b \\B \\w \\W \\d \\D \\s \\S``); those differ only on
rows holding a non-ASCII letter, digit or space (or, for ``\\s``, the ASCII control
characters Python counts as whitespace). So RE2 scans the whole column and Python
``re`` re-answers just those rows — a few percent of real comments. Patterns RE2 cannot
run (lookarounds, backreferences), and case-insensitive patterns with non-ASCII cased
letters (whose case folding differs), go to Python entirely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TextColumn", "TextMatcher"]

# Escapes whose meaning differs between Python (Unicode) and RE2 (ASCII).
_UNICODE_AWARE = re.compile(r"\\[bBwWdDsS]")
# Rows where those escapes may answer differently: a non-ASCII letter, number or
# separator (RE2 syntax: "not ASCII and not non-letter" = non-ASCII letter, …), or NEL.
_NON_ASCII_WORD_OR_SPACE = r"[^\x00-\x7f\P{L}]|[^\x00-\x7f\P{N}]|[^\x00-\x7f\P{Z}]|\x{85}"
# ASCII control characters Python's ``\s`` matches and RE2's does not.
_EXTRA_PY_SPACE = r"[\x0b\x1c-\x1f]"
# Letters whose case-insensitive matching differs (Python folds dotted/dotless i onto
# ASCII i/I; the Kelvin sign and long s are included to be safe).
_SPECIAL_FOLDS = r"[\x{130}\x{131}\x{17f}\x{212a}]"


class TextColumn:
    """A column prepared for matching: nulls as ``""``, non-strings as text.

    Whatever every matcher over the same column needs — the prepared text, the rows
    where RE2 and Python may disagree — is computed once and shared.
    """

    def __init__(self, column: pa.Array | pa.ChunkedArray) -> None:
        self.text = pc.fill_null(_as_text(column), "")
        self._suspects: dict[tuple[bool, bool, bool], npt.NDArray[np.intp]] = {}
        self._values: list[Any] | None = None
        self._non_ascii: npt.NDArray[np.intp] | None = None

    def __len__(self) -> int:
        return len(self.text)

    def values(self) -> list[Any]:
        """The text as Python strings (built on first use)."""
        if self._values is None:
            self._values = self.text.to_pylist()
        return self._values

    def values_at(self, rows: npt.NDArray[np.intp]) -> list[Any]:
        """The Python strings of some rows (without converting the whole column)."""
        if self._values is not None:
            return [self._values[i] for i in rows]
        return list(self.text.take(pa.array(rows)).to_pylist())

    def suspects(self, *, classes: bool, spaces: bool, folding: bool) -> npt.NDArray[np.intp]:
        """Rows where RE2 and Python may answer differently.

        ``classes``: the pattern uses Unicode-aware escapes; ``spaces``: among them
        ``\\s``/``\\S``; ``folding``: it matches case-insensitively.
        """
        key = (classes, spaces, folding)
        if key not in self._suspects:
            parts = [self._among_non_ascii(_NON_ASCII_WORD_OR_SPACE)] if classes else []
            parts += [self._among_non_ascii(_SPECIAL_FOLDS)] if folding else []
            parts += [self._rows_matching(_EXTRA_PY_SPACE)] if spaces else []
            self._suspects[key] = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.intp)
        return self._suspects[key]

    def _among_non_ascii(self, pattern: str) -> npt.NDArray[np.intp]:
        # Both kinds of suspect character are non-ASCII: scan only rows that have one
        # (Unicode-class scans are several times slower than a plain ASCII check).
        if self._non_ascii is None:
            ascii_only = pc.string_is_ascii(self.text).to_numpy(zero_copy_only=False)
            self._non_ascii = np.flatnonzero(~np.asarray(ascii_only, dtype=bool))
        if not len(self._non_ascii):
            return self._non_ascii
        subset = self.text.take(pa.array(self._non_ascii))
        hits = pc.match_substring_regex(subset, pattern).to_numpy(zero_copy_only=False)
        found: npt.NDArray[np.intp] = self._non_ascii[np.asarray(hits, dtype=bool)]
        return found

    def _rows_matching(self, pattern: str) -> npt.NDArray[np.intp]:
        hits = pc.match_substring_regex(self.text, pattern).to_numpy(zero_copy_only=False)
        return np.flatnonzero(np.asarray(hits, dtype=bool))


@dataclass(frozen=True)
class TextMatcher:
    """``re.search(pattern, str(value), flags)`` over an Arrow column, vectorized."""

    pattern: str
    ignore_case: bool
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _use_re2: bool = field(init=False, repr=False, compare=False)
    _unicode_aware: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        flags = re.IGNORECASE if self.ignore_case else 0
        object.__setattr__(self, "_compiled", re.compile(self.pattern, flags))
        # Non-ASCII characters in the pattern are fine for RE2 unless case folding of a
        # cased letter (é/É) is involved, where the two engines' folding rules differ.
        cased = any(not ch.isascii() and ch.lower() != ch.upper() for ch in self.pattern)
        object.__setattr__(self, "_use_re2", not (cased and self.ignore_case) and _re2_accepts(self.pattern))
        object.__setattr__(self, "_unicode_aware", _UNICODE_AWARE.search(self.pattern) is not None)

    def search(self, column: pa.Array | pa.ChunkedArray | TextColumn) -> npt.NDArray[np.bool_]:
        """Return whether the pattern is found in each value (nulls read as ``""``)."""
        text = column if isinstance(column, TextColumn) else TextColumn(column)
        if not self._use_re2:
            return self._search_python(text.values())
        hits = pc.match_substring_regex(text.text, self.pattern, ignore_case=self.ignore_case)
        result = np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)
        rest = text.suspects(
            classes=self._unicode_aware,
            spaces="\\s" in self.pattern or "\\S" in self.pattern,
            folding=self.ignore_case,
        )
        if len(rest):
            result[rest] = self._search_python(text.values_at(rest))
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
