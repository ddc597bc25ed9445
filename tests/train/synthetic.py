"""Small seeded data sets for the training tests: short comments of k kinds, plus columns.

Each class has its own vocabulary mixed with shared filler words, so a text model can
learn it but not perfectly; ``author`` is a high-cardinality categorical column whose
values lean towards one class, ``video`` a low-cardinality one, ``length`` numeric.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from headrace.project import FeaturesConfig

VOCABULARIES = [
    ["song", "love", "great", "voice", "beautiful", "dance", "music", "best", "memories", "lyrics"],
    ["subscribe", "channel", "check", "free", "money", "click", "link", "win", "visit", "promo"],
    ["when", "why", "who", "question", "anyone", "know", "what", "how", "where", "tell"],
]
FILLER = ["the", "this", "is", "a", "my", "you", "so", "and", "it", "just", "really", "all"]
TEXT = FeaturesConfig(text=["content"])
MIXED = FeaturesConfig(text=["content"], numeric=["length"], categorical=["video", "author"])


def make_frame(
    n: int, *, k: int = 2, seed: int = 0, minority: float | None = None
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """``n`` rows of ``k`` classes (class 1 a ``minority`` share when given) and their labels."""
    rng = np.random.default_rng(seed)
    if minority is None:
        y = rng.integers(0, k, n)
    else:
        y = (rng.random(n) < minority).astype(np.int64)
    texts = []
    for label in y:
        own = rng.choice(VOCABULARIES[label], size=rng.integers(1, 4))
        other = rng.choice(VOCABULARIES[(label + 1) % k], size=rng.integers(0, 2))
        filler = rng.choice(FILLER, size=rng.integers(2, 6))
        words = [*own, *other, *filler]
        rng.shuffle(words)
        texts.append(" ".join(words))
    authors = [f"user{(int(label) * 37 + int(rng.integers(0, 60))) % 90}" for label in y]
    frame = pd.DataFrame(
        {
            "content": texts,
            "length": [float(len(t)) if rng.random() > 0.05 else np.nan for t in texts],
            "video": rng.choice(["psy", "katy", "lmfao"], size=n).astype(object),
            "author": np.asarray(authors, dtype=object),
        }
    )
    return frame, y.astype(np.int64)


def soft_labels(
    y: npt.NDArray[np.int64], k: int, *, seed: int = 0, accuracy: float = 0.85
) -> npt.NDArray[np.float64]:
    """Label-model-like distributions: mostly confident, right with probability ``accuracy``."""
    rng = np.random.default_rng(seed)
    wrong = (y + rng.integers(1, k, len(y))) % k
    top = np.where(rng.random(len(y)) < accuracy, y, wrong)
    confidence = rng.uniform(0.55, 0.999, len(y))
    probs = np.tile(((1 - confidence) / (k - 1))[:, None], (1, k))
    probs[np.arange(len(y)), top] = confidence
    return probs
