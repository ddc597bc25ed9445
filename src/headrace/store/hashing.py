"""Content hashes: the keys of the store.

Every key in headrace is a sha256 hex digest, of bytes, of a file, or of a canonical
JSON encoding of parameters (sorted keys, no whitespace) so equal parameters always
give equal keys regardless of dict order.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["canonical_json", "function_source", "hash_bytes", "hash_file", "hash_json"]

_CHUNK = 1 << 20


def hash_bytes(data: bytes) -> str:
    """Return the sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path) -> str:
    """Return the sha256 hex digest of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def canonical_json(value: Any) -> str:
    """Encode ``value`` as JSON with sorted keys and no insignificant whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def hash_json(value: Any) -> str:
    """Return the sha256 of the canonical JSON encoding of ``value``."""
    return hash_bytes(canonical_json(value).encode("utf-8"))


def function_source(fn: Callable[..., Any]) -> str:
    """The source text of ``fn``: what the key of a user's function (LF, slice, TF) hashes.

    Built-in or interactively defined functions have no source file: their bytecode
    stands in, stable for an unchanged function within one Python version.
    """
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        code = getattr(fn, "__code__", None)
        return repr(code.co_code) if code is not None else repr(fn)
