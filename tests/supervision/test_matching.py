"""TextMatcher: vectorized matching that answers exactly what ``re.search`` would."""

from __future__ import annotations

import re

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from headrace.supervision.matching import TextMatcher

PATTERNS = [
    r"check out|subscribe",
    r"\bfree\b",
    r"https?://\S+",
    r"\d{3,}",
    r"\w+@\w+",
    r"a\s+b",
    r"^hi",
    r"!$",
    r"(?<!not )good",  # a lookbehind: RE2 refuses it, Python answers
    r"caf[eé]",  # a non-ASCII pattern: Python answers
    r"[k-s]+i",
    r"\bkiss\b",
    r"[£$€]\s?\d+",  # non-ASCII but uncased: RE2 answers
    r"ÅB|å",  # non-ASCII cased: Python answers when case-insensitive
    r"\bx+d+\b|:\)",  # \b dropped by the relaxed prefilter
    r"[\w.]+@\w+",  # an escape inside a class: no relaxed prefilter
    r"\D\d\W\S",  # negated classes, widened to any character
    r"o$|^k",  # Python's $ also matches before a final newline
]
# Text mixing the cases where RE2 and Python disagree: accents next to words, Unicode
# digits and spaces, and the ASCII control characters Python counts as whitespace.
ALPHABET = st.sampled_from(
    [
        *"abcefhiklorstuwy ghdopn!@:/.0123456789é٣\u00a0\x0b\x1cABCÉ\n\t",
        *("free", "check out", "café"),
        # Case-folding and whitespace oddities: Kelvin sign, long s, dotted I, separators.
        *("\u212a", "\u017f", "\u0130", "\u0131", "\u212b", "\u2028", "\x85", "\u3000", "£", "€5"),
    ]
)
TEXTS = st.lists(st.one_of(st.none(), st.lists(ALPHABET, max_size=12).map("".join)), max_size=30)


def expected(pattern: str, values: list[str | None], ignore_case: bool) -> list[bool]:
    flags = re.IGNORECASE if ignore_case else 0
    return [re.search(pattern, v or "", flags) is not None for v in values]


@settings(max_examples=400, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), values=TEXTS, ignore_case=st.booleans())
def test_matches_exactly_what_re_search_answers(
    pattern: str, values: list[str | None], ignore_case: bool
) -> None:
    matcher = TextMatcher(pattern, ignore_case)

    got = matcher.search(pa.array(values, type=pa.string()))

    assert got.tolist() == expected(pattern, values, ignore_case)


def test_unicode_word_boundaries_follow_python() -> None:
    # RE2's \b is ASCII-only: it would see a boundary between "caf" and "é".
    matcher = TextMatcher(r"\bcaf\b", ignore_case=False)
    assert matcher.search(pa.array(["café", "caf é", "un caf"])).tolist() == [False, True, True]


def test_dollar_matches_before_a_final_newline_as_in_python() -> None:
    # RE2's $ is the very end of the text; Python's also the place before a final "\n".
    matcher = TextMatcher(r"!$", ignore_case=False)
    values = ["wow!\n", "wow!", "wow!\n\n", "wow"]
    assert matcher.search(pa.array(values)).tolist() == expected(r"!$", values, False)


def test_suspect_rows_the_relaxed_pattern_misses_are_not_sent_to_python() -> None:
    matcher = TextMatcher(r"\blol\b", ignore_case=True)
    calls: list[int] = []
    search_python = matcher._search_python

    def counting(values: list[object]) -> object:
        calls.append(len(values))
        return search_python(values)  # type: ignore[arg-type]

    object.__setattr__(matcher, "_search_python", counting)
    # Every row holds a non-ASCII letter (a suspect for \b); only "élol" and "lol é" can
    # match under any rule, and only they go to Python.
    values = ["café", "über alles", "élol", "lol é", "naïve"]
    assert matcher.search(pa.array(values)).tolist() == expected(r"\blol\b", values, True)
    assert calls == [2]


def test_non_string_columns_are_matched_as_text() -> None:
    matcher = TextMatcher(r"^12", ignore_case=False)
    assert matcher.search(pa.array([123, 45, None])).tolist() == [True, False, False]
