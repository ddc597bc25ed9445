"""Labeling functions for the SMS spam example.

Every function votes SPAM (1), HAM (0) or abstains (ABSTAIN, -1) on one text message.
SMS spam is mostly commercial: prizes to claim, premium-rate numbers to call, short
codes to text, prices per minute and opt-out instructions ("send STOP to 87066").
Ham is personal chat: short, first-person, full of slang ("lor", "ü", "gud nite"),
emoticons and plans ("home later", "dinner tmr?"). The ham LFs therefore stay
silent whenever a message carries a commercial cue.

The LFs were written and tuned on ``data/gold_dev.csv`` only; the test set was not
looked at.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from headrace.supervision import ABSTAIN, keyword_lf, labeling_function, regex_lf

HAM, SPAM = 0, 1

# --- shared cues ---------------------------------------------------------------------

# Any of these makes a message look commercial; the ham LFs abstain on them.
_COMMERCIAL = re.compile(
    r"\b0[789]\d{2} ?\d{3} ?\d{3,4}\b"  # premium-rate / freephone / mobile numbers
    r"|\b\d{5}\b"  # short codes
    r"|[£$€]|\bcash\b|\bprize|\bwon\b|\bwin(?:ner)?\b|\baward|\bclaim\b|\bfree\b|\bfreemsg"
    r"|https?://|www\.|\.com\b|\.net\b|\.co\.uk\b|\btxt\b|\btext\b|\breply\b|\bstop\b"
    r"|\bmobile\b|\bringtone|\btones?\b|\bcustomer\b|\burgent|\boffer|\bentry\b|\bcall\b"
    r"|\bvoucher|\bdraw\b|\bsubscri|\bpo ?box|\bt ?& ?cs?\b|\btnc\b|\d+p\b|\b1[68]\+",
    re.IGNORECASE,
)


def _text(value: object) -> str:
    """Message text with the corpus' HTML-escaped placeholders (``&lt;#&gt;``) decoded."""
    return str(value).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _plain(text: str) -> bool:
    """True when the message carries no commercial cue."""
    return _COMMERCIAL.search(text) is None


# --- spam: keyword and regex LFs -------------------------------------------------------

premium_number = regex_lf("premium_number", r"\b0[89]\d{2} ?\d{3} ?\d{3,4}\b", label=SPAM, column="text")
"""UK premium-rate (09…) and non-geographic (08…) numbers: "call 09061743806 now"."""

short_code = regex_lf(
    "short_code",
    r"\b(?:txt|text|send|reply|sms|call|ring)\b[^.!?]{0,40}?\b(?:to|on)\b:? ?(?:no:? ?)?\d{5}\b"
    r"|\b\d{5}\b[^.!?]{0,15}\b(?:txt|text)\b",
    label=SPAM,
    column="text",
)
"""Instructions to text a five-digit short code: "Text YES to 85023"."""

prize = regex_lf(
    "prize",
    r"\b(?:you|u) (?:have |ve |'ve )?(?:been )?(?:won|awarded|selected)\b|\bprize|\bwinner\b"
    r"|\bclaim\b|\bguaranteed\b|\bbonus\b|\bjackpot\b|\bvouchers?\b|\bweekly draw\b",
    label=SPAM,
    column="text",
)
"""Prizes, awards and vouchers waiting to be claimed."""

price = regex_lf(
    "price",
    r"£ ?\d|\$ ?\d|\b\d+p\b|\bppm\b|\b\d+p ?(?:/|per|a) ?(?:min|msg)|\bcost\b[^.]{0,10}\d",
    label=SPAM,
    column="text",
)
"""Prices: pounds, dollars and per-minute or per-message charges ("150p", "10ppm")."""

opt_out = regex_lf(
    "opt_out",
    r"\b(?:send|txt|text|reply)(?: the word)?:? ?stop\b|\bstop ?(?:to|2) ?(?:stop|end|\d)|unsubscri"
    r"|\bopt ?out\b|\bstopsms\b|2stop",
    label=SPAM,
    column="text",
)
"""Opt-out instructions, which the law requires of bulk senders: "Send STOP to 62468"."""

has_url = regex_lf("has_url", r"https?://|www\.|\b\w+\.(?:com|net|co\.uk)\b", label=SPAM, column="text")
"""Links and web addresses in a text message advertise something."""

marketing = keyword_lf(
    "marketing",
    [
        "freemsg",
        "free msg",
        "free entry",
        "ringtone",
        "new tones",
        "t&c",
        "tncs",
        "t cs",
        "pobox",
        "po box",
        "valued customer",
        "specially selected",
        "final notice",
        "final chance",
        "urgent!",
        "lucky day",
        "18+",
        "16+",
        "line rental",
        "custcare",
        "camera phone",
    ],
    label=SPAM,
    column="text",
)
"""Stock phrases of SMS marketing: "FreeMsg", "T&Cs apply", "valued customer", "16+"."""

adult_chat = keyword_lf(
    "adult_chat",
    [
        "secret admirer",
        "dating service",
        "speed dating",
        "sexy singles",
        "horny",
        "flirt",
        "xchat",
        "textbuddy",
        "live chat",
        "chat now",
        "gay chat",
        "saucy",
    ],
    label=SPAM,
    column="text",
)
"""Premium-rate dating and chat lines: "U have a secret admirer", "sexy singles in yr area"."""

# --- ham: row-wise LFs -----------------------------------------------------------------

_SLANG = re.compile(
    r"\b(?:lor|lar|leh|lah|liao|hor|oso|dun|wat|wif|juz|noe|tmr|tml|nite|gud|da|pa|ya|yar|k|kk"
    r"|lol|haha\w*|hehe\w*|dunno|gonna|wanna|gotta|aight|nah|yup|yep|okie|ok|oh|huh)\b|ü",
    re.IGNORECASE,
)
_EMOTICON = re.compile(r"[:;]-?[()pPdD/]|:-?\*|<3|\bx{2,}\b|\*\w+\*")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i'll|i've|i'd|me|my)\b", re.IGNORECASE)
_PLANS = re.compile(
    r"\b(?:home|tonight|tomorrow|today|later|lunch|dinner|class|sleep|sleeping|wake|reach\w*"
    r"|come|coming|going|meet|pick (?:you|u|me) up|bus|work|office|gym|morning|night)\b",
    re.IGNORECASE,
)
_AFFECTION = re.compile(
    r"\b(?:love|miss(?:ing)?|dear|darlin\w*|babe|baby|hun|honey|sweet\w*|kiss\w*|hugs?|friend\w*"
    r"|princess|boytoy|sorry|thanks|thank (?:you|u)|take care)\b",
    re.IGNORECASE,
)


@labeling_function()
def short_message(row: Any) -> int:
    """Very short messages without a commercial cue are chat ("Ok... C ya...")."""
    text = _text(row.text)
    if len(text.split()) <= 6 and _plain(text):
        return HAM
    return ABSTAIN


@labeling_function()
def chat_slang(row: Any) -> int:
    """Texting slang and Singlish particles ("lor", "ü", "tmr", "lol") mark personal chat."""
    text = _text(row.text)
    if _SLANG.search(text) and _plain(text):
        return HAM
    return ABSTAIN


@labeling_function()
def emoticon(row: Any) -> int:
    """Emoticons (":)", ";-)", "xxx") are how friends sign off, not how marketers sell."""
    text = _text(row.text)
    if _EMOTICON.search(text) and _plain(text):
        return HAM
    return ABSTAIN


@labeling_function()
def first_person_plans(row: Any) -> int:
    """The sender talking about their own day and plans ("I'll be home later")."""
    text = _text(row.text)
    if _FIRST_PERSON.search(text) and _PLANS.search(text) and _plain(text):
        return HAM
    return ABSTAIN


@labeling_function()
def affection(row: Any) -> int:
    """Affection, thanks and apologies between people who know each other."""
    text = _text(row.text)
    if _AFFECTION.search(text) and _plain(text):
        return HAM
    return ABSTAIN


# --- both classes: vectorized LF -------------------------------------------------------


@labeling_function(vectorized=True)
def digit_density(df: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Spam is full of numbers (phone numbers, codes, prices); chat has almost none.

    Ten or more digits votes SPAM; no digit at all in a message of several words votes HAM.
    """
    text = df["text"].astype(str)
    digits = text.str.count(r"\d").to_numpy()
    words = text.str.split().str.len().fillna(0).to_numpy()
    votes = np.full(len(df), ABSTAIN, dtype=np.int64)
    votes[digits >= 10] = SPAM
    votes[(digits == 0) & (words >= 5)] = HAM
    return votes
