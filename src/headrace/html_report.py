"""What every headrace HTML report shares: the page shell, tables, figures, atomic writes.

Plotly's JavaScript is inlined once per page, so a report opens with no network. A
page carries a hash of everything it shows; :func:`unchanged` lets a caller skip
rewriting a file that already shows the same thing.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["atomic_write", "figure_html", "page", "table_html", "unchanged"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{margin-bottom:.2rem} .muted{color:#666} table{border-collapse:collapse;font-size:.9rem}
th,td{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left} section{margin:2rem 0}
.kpi{display:inline-block;margin-right:2rem} .kpi b{font-size:1.6rem;display:block}
.breach{color:#b00020} .ok{color:#1b7f3b}
"""


def _marker(key: str) -> str:
    return f'<meta name="headrace-report" content="{key}">'


def unchanged(path: Path, key: str) -> bool:
    """Whether ``path`` already holds the page with content hash ``key``."""
    marker = _marker(key)
    try:
        with path.open(encoding="utf-8") as handle:
            return marker in handle.read(len(marker) + 64)
    except (OSError, UnicodeDecodeError):
        return False


def page(title: str, body_parts: list[str], *, key: str) -> str:
    """A whole HTML document with Plotly inlined and the content hash ``key`` in its head."""
    from plotly.offline import get_plotlyjs

    return (
        f"<!doctype html><html><head>{_marker(key)}<meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>{''.join(body_parts)}</body></html>"
    )


def figure_html(figure: Any) -> str:
    """A Plotly figure as a ``<div>`` (the page already holds plotly.js)."""
    return str(figure.to_html(full_html=False, include_plotlyjs=False))


def table_html(frame: pd.DataFrame) -> str:
    """A DataFrame as a plain table: floats to three decimals, text escaped."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:.3f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [frame.index.name or "", *frame.columns])
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in [index, *row]) + "</tr>"
        for index, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
