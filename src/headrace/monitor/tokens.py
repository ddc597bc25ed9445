"""The one tokenizer of monitoring: lowercase runs of letters and digits.

Reference vocabularies, out-of-vocabulary rates and the text domain classifier all
split text the same way, and so do the Arrow path and the DuckDB path over the
prediction log. Both run the same RE2 pattern (pyarrow's ``split_pattern_regex`` and
DuckDB's ``regexp_extract_all`` are both RE2), after the same Unicode lowercasing, so
a token is a maximal run of Unicode letters (``\\pL``) and digits (``\\pN``):
``"Don't PANIC, 42!"`` → ``["don", "t", "panic", "42"]``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TOKEN_PATTERN", "sql_tokens", "tokenize", "tokenize_array"]

#: RE2 pattern of one token (applied to lowercased text).
TOKEN_PATTERN = r"[\pL\pN]+"
_SEPARATOR_PATTERN = r"[^\pL\pN]+"


def tokenize_array(texts: pa.Array | pa.ChunkedArray) -> pa.ListArray:
    """Tokens of each text: a list array, null where the text is null.

    Parameters
    ----------
    texts : pyarrow.Array or pyarrow.ChunkedArray
        Strings.

    Returns
    -------
    pyarrow.ListArray
        One list of lowercase tokens per text.

    Examples
    --------
    >>> tokenize_array(pa.array(["Hi there!", None])).to_pylist()
    [['hi', 'there'], None]
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    pieces = pc.split_pattern_regex(pc.utf8_lower(texts), pattern=_SEPARATOR_PATTERN)
    # Splitting on separators leaves "" where a text starts or ends with one; drop them
    # so the tokens are exactly what RE2 "find all" (DuckDB's path) returns.
    flat = pc.list_flatten(pieces)
    keep = pc.not_equal(flat, "")
    parents = np.asarray(pc.list_parent_indices(pieces).filter(keep))
    offsets = np.zeros(len(pieces) + 1, dtype=np.int32)
    np.cumsum(np.bincount(parents, minlength=len(pieces)), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), flat.filter(keep), mask=pc.is_null(texts))


def tokenize(text: str) -> list[str]:
    """Tokens of one text (see the module docstring).

    Examples
    --------
    >>> tokenize("Don't PANIC, 42!")
    ['don', 't', 'panic', '42']
    """
    tokens = tokenize_array(pa.array([text], type=pa.string()))[0].as_py()
    return list(tokens)


def sql_tokens(expression: str) -> str:
    """DuckDB expression giving the token list of the string ``expression``."""
    return f"regexp_extract_all(lower({expression}), '{TOKEN_PATTERN}')"
