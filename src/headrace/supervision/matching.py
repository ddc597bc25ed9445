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

Most of those suspect rows cannot match at all: before asking Python, RE2 runs a
*relaxed* pattern over them, with ``\\b``/``\\B`` dropped and every Unicode-aware
class widened to a Unicode superset of Python's, and only rows the relaxed pattern
finds go to Python (Python holds the GIL, so this is what keeps LF threads parallel).
One more disagreement: Python's ``$`` also matches before a final newline, RE2's only
at the very end, so rows ending in ``\\n`` go to Python when the pattern has a ``$``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
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
# RE2 replacements of the Unicode-aware escapes, each matching at least what Python's
# does (\b and \B, assertions, are dropped: a pattern without them matches more).
_RELAXED = {
    "b": "",
    "B": "",
    "d": r"[0-9\p{N}]",
    "w": r"[\w\p{L}\p{N}\p{M}]",
    "s": r"[\s\p{Z}\x{85}\x0b\x1c-\x1f]",
    "D": r"[\s\S]",
    "W": r"[\s\S]",
    "S": r"[\s\S]",
}


class TextColumn:
    """A column prepared for matching: nulls as ``""``, non-strings as text.

    Whatever every matcher over the same column needs — the prepared text, the rows
    where RE2 and Python may disagree — is computed once and shared.
    """

    def __init__(self, column: pa.Array | pa.ChunkedArray) -> None:
        self.text = pc.fill_null(_as_text(column), "")
        # LFs over one column run on several threads: each shared result is computed
        # once, by the first thread that needs it, while the others wait for it.
        self._shared: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.text)

    def values(self) -> list[Any]:
        """The text as Python strings (built on first use)."""
        values: list[Any] = self._once("values", self.text.to_pylist)
        return values

    def values_at(self, rows: npt.NDArray[np.intp]) -> list[Any]:
        """The Python strings of some rows (without converting the whole column)."""
        values = self._shared.get("values")
        if values is not None:
            return [values[i] for i in rows]
        return list(self.text.take(pa.array(rows)).to_pylist())

    def suspects(self, *, classes: bool, spaces: bool, folding: bool) -> npt.NDArray[np.intp]:
        """Rows where RE2 and Python may answer differently.

        ``classes``: the pattern uses Unicode-aware escapes; ``spaces``: among them
        ``\\s``/``\\S``; ``folding``: it matches case-insensitively.
        """

        def compute() -> npt.NDArray[np.intp]:
            parts = [self._among_non_ascii(_NON_ASCII_WORD_OR_SPACE)] if classes else []
            parts += [self._among_non_ascii(_SPECIAL_FOLDS)] if folding else []
            parts += [self._rows_matching(_EXTRA_PY_SPACE)] if spaces else []
            return np.unique(np.concatenate(parts)) if parts else np.empty(0, np.intp)

        rows: npt.NDArray[np.intp] = self._once(f"suspects:{classes}:{spaces}:{folding}", compute)
        return rows

    def newline_ended(self) -> npt.NDArray[np.intp]:
        """Rows ending in ``\\n``, where Python's ``$`` matches twice and RE2's once."""
        rows: npt.NDArray[np.intp] = self._once(
            "newline_ended", lambda: _flatnonzero(pc.ends_with(self.text, "\n"))
        )
        return rows

    def _once(self, key: str, compute: Callable[[], Any]) -> Any:
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._shared:
                self._shared[key] = compute()
            return self._shared[key]

    def _among_non_ascii(self, pattern: str) -> npt.NDArray[np.intp]:
        # Both kinds of suspect character are non-ASCII: scan only rows that have one
        # (Unicode-class scans are several times slower than a plain ASCII check).
        non_ascii: npt.NDArray[np.intp] = self._once(
            "non_ascii", lambda: _flatnonzero(pc.invert(pc.string_is_ascii(self.text)))
        )

        def compute() -> npt.NDArray[np.intp]:
            if not len(non_ascii):
                return non_ascii
            subset = self.text.take(pa.array(non_ascii))
            found: npt.NDArray[np.intp] = non_ascii[_mask(pc.match_substring_regex(subset, pattern))]
            return found

        rows: npt.NDArray[np.intp] = self._once(f"non_ascii:{pattern}", compute)
        return rows

    def _rows_matching(self, pattern: str) -> npt.NDArray[np.intp]:
        rows: npt.NDArray[np.intp] = self._once(
            f"matching:{pattern}", lambda: _flatnonzero(pc.match_substring_regex(self.text, pattern))
        )
        return rows


def _mask(hits: Any) -> npt.NDArray[np.bool_]:
    return np.asarray(hits.to_numpy(zero_copy_only=False), dtype=bool)


def _flatnonzero(hits: Any) -> npt.NDArray[np.intp]:
    return np.flatnonzero(_mask(hits))


@dataclass(frozen=True)
class TextMatcher:
    """``re.search(pattern, str(value), flags)`` over an Arrow column, vectorized."""

    pattern: str
    ignore_case: bool
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _use_re2: bool = field(init=False, repr=False, compare=False)
    _unicode_aware: bool = field(init=False, repr=False, compare=False)
    _relaxed: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        flags = re.IGNORECASE if self.ignore_case else 0
        object.__setattr__(self, "_compiled", re.compile(self.pattern, flags))
        # Non-ASCII characters in the pattern are fine for RE2 unless case folding of a
        # cased letter (é/É) is involved, where the two engines' folding rules differ.
        cased = any(not ch.isascii() and ch.lower() != ch.upper() for ch in self.pattern)
        object.__setattr__(self, "_use_re2", not (cased and self.ignore_case) and _re2_accepts(self.pattern))
        object.__setattr__(self, "_unicode_aware", _UNICODE_AWARE.search(self.pattern) is not None)
        relaxed = _relax(self.pattern) if self._use_re2 and self._unicode_aware else None
        object.__setattr__(self, "_relaxed", relaxed if relaxed and _re2_accepts(relaxed) else None)

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
        if len(rest) and self._relaxed is not None:
            rest, impossible = self._possible(text, rest, self._relaxed)
            result[impossible] = False
        if "$" in self.pattern:
            rest = np.union1d(rest, text.newline_ended())
        if len(rest):
            result[rest] = self._search_python(text.values_at(rest))
        return result

    def _possible(
        self, text: TextColumn, suspects: npt.NDArray[np.intp], relaxed: str
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Split suspect rows into those Python must answer and those that cannot match.

        A row the relaxed pattern does not find cannot match under Python's rules,
        except where case folding differs (those rows always go to Python).
        """
        subset = text.text.take(pa.array(suspects))
        found = pc.match_substring_regex(subset, relaxed, ignore_case=self.ignore_case)
        possible = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
        if self.ignore_case:
            folds = text.suspects(classes=False, spaces=False, folding=True)
            possible |= np.isin(suspects, folds)
        return suspects[possible], suspects[~possible]

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


def _relax(pattern: str) -> str | None:
    """``pattern`` with the Unicode-aware escapes widened (:data:`_RELAXED`) for RE2.

    ``None`` when such an escape stands inside a character class (``[\\w-]``), where
    widening would need rewriting the class.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            escape = pattern[i + 1]
            if escape in _RELAXED:
                if in_class:
                    return None
                out.append(_RELAXED[escape])
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            # A leading ^ negates, and a ] right after [ or [^ is a literal.
            for literal in ("^", "]"):
                if i < len(pattern) and pattern[i] == literal:
                    out.append(literal)
                    i += 1
    return "".join(out)


def _re2_accepts(pattern: str) -> bool:
    try:
        pc.match_substring_regex(pa.array([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False  # lookarounds, backreferences: Python only
    return True
