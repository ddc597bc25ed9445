"""Slicing functions for the SMS spam example: subsets whose metrics matter on their own."""

from __future__ import annotations

import re
from typing import Any

from headrace.supervision import slicing_function

_DIGITS = re.compile(r"\d")
_URL = re.compile(r"https?://|www\.|\.com\b", re.IGNORECASE)


@slicing_function()
def short_message(row: Any) -> bool:
    """At most five words: little text for the model to go on."""
    return len((row.text or "").split()) <= 5


@slicing_function()
def long_message(row: Any) -> bool:
    """Over 140 characters: long ham is rare, so the model may call it spam."""
    return len(row.text or "") > 140


@slicing_function()
def has_number(row: Any) -> bool:
    """Contains a digit: prices, codes and phone numbers are spam cues, but ham has times too."""
    return _DIGITS.search(row.text or "") is not None


@slicing_function()
def has_link(row: Any) -> bool:
    """Contains a URL-like token."""
    return _URL.search(row.text or "") is not None


@slicing_function()
def shouting(row: Any) -> bool:
    """Mostly capital letters."""
    letters = [c for c in (row.text or "") if c.isalpha()]
    return len(letters) >= 10 and sum(c.isupper() for c in letters) / len(letters) > 0.6
