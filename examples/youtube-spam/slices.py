"""Slicing functions for the YouTube comment spam example.

A slice is a subset of rows whose metrics matter on their own: the model's F1 on all
test rows can hide that it fails on one video's audience, on very short comments, or
on comments with links. headrace reports test metrics per slice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from headrace.supervision import slicing_function


@slicing_function()
def short_comment(row: Any) -> bool:
    """At most five words: little text for the model to go on."""
    return len((row.content or "").split()) <= 5


@slicing_function()
def long_comment(row: Any) -> bool:
    """Over 200 characters: spam pitches tend to be long, so long ham is hard."""
    return len(row.content or "") > 200


@slicing_function()
def has_link(row: Any) -> bool:
    """Contains a URL-like token."""
    text = (row.content or "").lower()
    return "http" in text or "www." in text or ".com" in text


@slicing_function(vectorized=True)
def non_ascii(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Contains emoji, accents or other non-ASCII characters (besides a trailing BOM)."""
    text = frame["content"].fillna("").str.replace("\ufeff", "", regex=False)
    return np.asarray(~text.map(str.isascii), dtype=bool)


def _video(name: str) -> Any:
    @slicing_function(name=f"video_{name}", vectorized=True)
    def on_video(frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
        return np.asarray(frame["video"] == name, dtype=bool)

    return on_video


# One slice per video: each has its own audience and its own spammers.
video_psy = _video("psy")
video_katyperry = _video("katyperry")
video_lmfao = _video("lmfao")
video_eminem = _video("eminem")
video_shakira = _video("shakira")
