"""Transformation functions for the YouTube comment spam example.

Each makes a label-preserving copy of a training comment: a typo, a change of case,
punctuation dropped or HTML entities decoded do not turn spam into ham. Training on
the copies as well teaches the model to ignore what these TFs vary.

They are used once ``headrace.yaml`` has an ``augment:`` section, e.g.
``augment: {functions: augment.py, policy: random, k: 1, seed: 0, compare: true}``:
``headrace augment`` then shows some copies, and ``headrace run`` trains on them and
reports test and slice scores with and without them.
"""

from __future__ import annotations

import html
from typing import Any

from headrace.augment import case_tf, punctuation_tf, transformation_function, typo_tf

typos = typo_tf("content", rate=0.05)
change_case = case_tf("content")
strip_punctuation = punctuation_tf("content")


@transformation_function()
def unescape_html(row: Any) -> dict[str, Any] | None:
    """Decode HTML entities (&#39; → '): the export encodes them, typed comments do not."""
    text = row.content
    if text is None or "&" not in text:
        return None
    return {**row, "content": html.unescape(text)}
