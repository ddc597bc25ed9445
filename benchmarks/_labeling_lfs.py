"""The ten keyword/regex labeling functions of the labeling benchmark, as plain data.

This module imports nothing but ``re``: both our side (``labeling.py``) and the peer
side (``_snorkel_labeling.py``, run in Snorkel's own venv) build their LFs from the
same specifications, so every implementation matches the same patterns.

A keyword LF matches when the text contains any of its keywords, case-insensitively;
that is exactly ``re.search("|".join(map(re.escape, keywords)), text, re.IGNORECASE)``,
which is what :func:`headrace.supervision.keyword_lf` promises. A regex LF matches
when ``re.search(pattern, text, re.IGNORECASE)`` does, as
:func:`headrace.supervision.regex_lf` promises. A matching LF votes its label; any
other row it abstains on (-1).
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["ABSTAIN", "FLAGS", "HAM", "LF_SPECS", "SPAM", "LFSpec", "compiled_lfs"]

ABSTAIN, HAM, SPAM = -1, 0, 1
#: Every LF is case-insensitive, the default of ``keyword_lf`` and ``regex_lf``.
FLAGS = re.IGNORECASE


class LFSpec(NamedTuple):
    """One LF: ``kind`` is ``"keyword"`` (``match`` is a tuple of words) or ``"regex"``."""

    name: str
    kind: str
    match: tuple[str, ...] | str
    label: int

    @property
    def pattern(self) -> str:
        """The Python regular expression the LF searches for."""
        if self.kind == "keyword":
            return "|".join(re.escape(word) for word in self.match)
        return str(self.match)


# Spam cues come from both sources (YouTube comment spam is self-promotion, SMS spam is
# prizes and premium-rate numbers); ham cues are short reactions and replies. The
# regexes use \b, \d, \s, \w, anchors and non-ASCII characters on purpose: those are
# where regex engines disagree with Python's ``re``.
LF_SPECS: tuple[LFSpec, ...] = (
    LFSpec("kw_check_out", "keyword", ("check out", "check my", "checkout", "check it out"), SPAM),
    LFSpec("kw_subscribe", "keyword", ("subscribe", "subscriber", "sub4sub", "subs "), SPAM),
    LFSpec("kw_prize", "keyword", ("free", "winner", "prize", "cash", "award", "won "), SPAM),
    LFSpec("kw_reply", "keyword", ("call now", "txt", "text to", "reply", "claim"), SPAM),
    LFSpec("kw_praise", "keyword", ("love this song", "love it", "awesome", "beautiful", "best song"), HAM),
    LFSpec("rx_url", "regex", r"https?://|www\.|\.com\b|\.co\.uk\b", SPAM),
    LFSpec("rx_phone", "regex", r"\b0\d{9,10}\b|\b\d{5}\b", SPAM),
    LFSpec("rx_money", "regex", r"[£$€]\s?\d+|\b\d+\s?(?:pounds|dollars|p/min|ppm)\b", SPAM),
    LFSpec("rx_laugh", "regex", r"\b(?:lol|lmao|(?:ha){2,})\b|:\)|;\)|<3|\bx+d+\b", HAM),
    LFSpec("rx_greeting", "regex", r"^\s*(?:ok|okay|k|yes|no|sure|thanks?|hi|hey|hello)\b\W*\w{0,12}", HAM),
)


def compiled_lfs() -> list[tuple[str, re.Pattern[str], int]]:
    """``(name, compiled pattern, label)`` for each LF, in matrix column order."""
    return [(spec.name, re.compile(spec.pattern, FLAGS), spec.label) for spec in LF_SPECS]
