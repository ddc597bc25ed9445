"""Labeling functions for the YouTube comment spam example.

Every function votes SPAM (1), HAM (0) or abstains (ABSTAIN, -1) on one comment.
Spam in this data set is mostly self-promotion ("check out my channel", links,
"please subscribe"); ham is mostly short reactions to the song and its video.
The ham LFs therefore stay silent whenever a comment carries a promotion cue.
"""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from headrace.supervision import ABSTAIN, keyword_lf, labeling_function, regex_lf

HAM, SPAM = 0, 1

# --- shared cues ---------------------------------------------------------------------

# Any of these makes a comment look like promotion; the ham LFs abstain on them.
_PROMO = re.compile(
    r"https?://|www\.|\.com\b|/watch\?|subscri|channel|check (?:out|my|it)|follow me"
    r"|\bmy (?:new )?(?:videos?|vids?|songs?|music|page|playlist|cover)\b|please|plz|money"
    r"|like this comment|thumbs up|\bshare\b|\bvote\b|visit|blog|youtuber|facebook|\bfb\b"
    r"|instagram|twitter",
    re.IGNORECASE,
)

# Names and titles that on-topic comments use, per video (matched at a word start).
_TOPIC: dict[str, re.Pattern[str]] = {
    video: re.compile(r"\b(?:" + "|".join(terms) + ")", re.IGNORECASE)
    for video, terms in {
        "psy": ("psy", "gangnam", "oppa", "korea"),
        "katyperry": ("katy", "perry", "roar", "tiger"),
        "lmfao": ("lmfao", "party rock", "shuffl", "robot"),
        "eminem": ("eminem", "rihanna", "love the way you lie", "megan fox", r"rap(?:per|s)?\b"),
        "shakira": ("shakira", "waka", "world cup", "africa"),
    }.items()
}

# ... and generic references to the song or the performer.
_GENERIC_TOPIC = re.compile(r"\b(?:this|the) song\b|\b(?:she|her|he|his)\b", re.IGNORECASE)

_PRAISE = re.compile(
    r"\b(?:love|like|best|nice|good|great|awesome|amazing|beautiful|cool|favou?rite)\b"
    r"[^.!?]{0,20}\b(?:song|music|video|track|it|this|her|him|you)\b"
    r"|\bbest song\b|\bsong ever\b",
    re.IGNORECASE,
)

_EMOTE = re.compile(
    r"[\u2600-\u27bf\U0001f300-\U0001faff]|<3|:-?[)(dpDP3]|;-?\)|\bx[dD]\b|\blo+l\b|\b(?:ha){2,}",
    re.IGNORECASE,
)

_VIEWS = re.compile(
    r"\b(?:billion|million)\b|\bviews\b|\bwatching (?:this )?in 20\d\d|\b20(?:1[0-9])\b",
    re.IGNORECASE,
)


def _text(value: object) -> str:
    """Comment text with HTML entities decoded and the trailing BOM removed."""
    return html.unescape(str(value)).replace("\ufeff", "").strip()


# --- spam: keyword and regex LFs -------------------------------------------------------

check_out = keyword_lf(
    "check_out", ["check out", "check my", "checkout", "check it out"], label=SPAM, column="content"
)
"""Spammers ask readers to check out their channel, video or site."""

subscribe = keyword_lf(
    "subscribe", ["subscribe", "subscriber", "subscrible", "subs "], label=SPAM, column="content"
)
"""Asking for subscribers is the most common kind of comment spam."""

has_url = regex_lf("has_url", r"https?://|www\.|\.com\b|\.tk\b", label=SPAM, column="content")
"""Links point readers away from the video, almost always to promote something."""

my_content = regex_lf(
    "my_content",
    r"\b(?:my|our) (?:new |first |own )?"
    r"(?:channel|videos?|vids?|songs?|music|page|playlist|cover|band|site|website)\b",
    label=SPAM,
    column="content",
)
"""Talking about one's own channel or videos is self-promotion."""

money = regex_lf(
    "money",
    r"\bfree\b|money|\bearn|\bcash\b|\$\d|gift ?card|\bwin\b|\bprize|giveaway",
    label=SPAM,
    column="content",
)
"""Offers of money, prizes and freebies are scams."""

engagement_bait = regex_lf(
    "engagement_bait",
    r"\bplease\b|\bplz\b|\bpleas\b|like this comment|thumbs up (?:if|of)|\bshare (?:this|it)\b"
    r"|follow (?:me|4)|like 4 like|\binstagram\b|\btwitter\b",
    label=SPAM,
    column="content",
)
"""Begging for likes, shares and follows ("please ...", "like this comment if") farms attention."""

# --- ham: row-wise LFs -----------------------------------------------------------------


@labeling_function()
def short_comment(row: Any) -> int:
    """Very short comments without a promotion cue are reactions ("Nice", "love it")."""
    text = _text(row.content)
    if len(text.split()) <= 4 and not _PROMO.search(text):
        return HAM
    return ABSTAIN


@labeling_function()
def mentions_topic(row: Any) -> int:
    """Naming the singer, song or something in this video means the comment is on-topic."""
    text = _text(row.content)
    topic = _TOPIC.get(str(row.video))
    on_topic = (topic is not None and topic.search(text)) or _GENERIC_TOPIC.search(text)
    if on_topic and not _PROMO.search(text):
        return HAM
    return ABSTAIN


@labeling_function()
def praises_song(row: Any) -> int:
    """Praise for the song or video ("love this song", "best song ever") comes from fans."""
    text = _text(row.content)
    if _PRAISE.search(text) and not _PROMO.search(text):
        return HAM
    return ABSTAIN


@labeling_function()
def emoji_or_laugh(row: Any) -> int:
    """Emoji, emoticons and laughter ("lol", "haha") mark casual viewer reactions."""
    text = _text(row.content)
    if _EMOTE.search(text) and not _PROMO.search(text):
        return HAM
    return ABSTAIN


@labeling_function()
def view_count(row: Any) -> int:
    """Remarks about the view count or the year one is watching in are fan chatter."""
    text = _text(row.content)
    if _VIEWS.search(text) and not _PROMO.search(text):
        return HAM
    return ABSTAIN


# --- spam: vectorized LF ---------------------------------------------------------------


@labeling_function(vectorized=True)
def long_comment(df: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Long comments are usually sales pitches; genuine reactions are short."""
    length = df["content"].astype(str).str.len().to_numpy()
    return np.where(length >= 150, SPAM, ABSTAIN).astype(np.int64)
