"""Behavioral tests of the YouTube spam model: `headrace check` runs them, and promoting a
model to production requires them to pass (thresholds in headrace.yaml, checks:)."""

from headrace.behavior import (
    Directional,
    Invariance,
    MinimumFunctionality,
    add_typos,
    append,
    change_case,
    expand_template,
    strip_punctuation,
    swap_names,
    swap_numbers,
)

# Typical comments of both kinds, for the invariance tests.
COMMENTS = [
    "This song never gets old, still listening in 2015",
    "Who is watching this in 2014? Like if you are!",
    "Check out my channel for more music covers",
    "Please subscribe to my channel, I make funny videos",
    "Shakira is so beautiful in this video",
    "I love this song so much, it makes me dance",
    "Visit my website for free gift cards",
    "Eminem is the best rapper of all time",
    "2 billion views, incredible!",
    "Katy Perry you are amazing, love from Brazil",
    "Hey guys, check out my new video and leave a like",
    "This is my favorite song ever",
]

obvious_spam = MinimumFunctionality(
    "asks for subscribers or clicks",
    expand_template(
        "{ask} my {thing}{tail}",
        ask=["check out", "please subscribe to", "visit"],
        thing=["channel", "youtube channel", "new video"],
        tail=["", " please", ", thank you"],
    ),
    expected="spam",
    max_failure_rate=0.1,
)

plain_praise = MinimumFunctionality(
    "praises the song",
    expand_template(
        "{praise} this {thing}{tail}",
        praise=["I love", "I really like", "so much feeling in"],
        thing=["song", "music", "beat"],
        tail=["", "!", " so much"],
    ),
    expected="ham",
    max_failure_rate=0.1,
)

typos = Invariance("typos", COMMENTS, add_typos(0.05), copies=3, max_failure_rate=0.15)
case = Invariance("upper or lower case", COMMENTS, change_case(), copies=2, max_failure_rate=0.1)
punctuation = Invariance("no punctuation", COMMENTS, strip_punctuation(), max_failure_rate=0.1)
numbers = Invariance(
    "other numbers", [c for c in COMMENTS if any(ch.isdigit() for ch in c)], swap_numbers(), copies=3
)
names = Invariance(
    "other names",
    expand_template(
        "{name} {verb} this song", name=["John", "Mary", "Ahmed", "Mei"], verb=["sings", "loves"]
    ),
    swap_names(),
    copies=2,
)

self_promotion = Directional(
    "adding self-promotion raises P(spam)",
    [c for c in COMMENTS if "channel" not in c and "website" not in c and "video" not in c],
    append(["check out my channel", "subscribe to me please", "visit my page for free stuff"]),
    label="spam",
    direction="up",
    tolerance=0.02,
    max_failure_rate=0.1,
)
