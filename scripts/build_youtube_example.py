"""Build the bundled ``examples/youtube-spam`` data set from the raw UCI CSVs.

Source: the UCI YouTube Spam Collection (CC BY 4.0),
T. C. Alberto, J. V. Lochter, T. A. Almeida, "TubeSpam: Comment Spam Filtering
on YouTube", IEEE ICMLA 2015.

The script reads the five raw CSVs (``Youtube01-Psy.csv`` ... ``Youtube05-Shakira.csv``),
normalises the columns, drops duplicate comment ids, and makes a seeded split
stratified by label:

* ``gold_dev.csv``    -- 120 labelled rows (for LF development / label-model tuning)
* ``gold_test.csv``   -- 400 labelled rows (held-out evaluation)
* ``comments.csv``    -- the rest, *without* labels: the unlabelled pool
* ``pool_labels.csv`` -- the withheld truth for the pool (comment_id, label), only for
  a fully-supervised reference run; the pipeline must never read it.

The output is byte-for-byte deterministic for a given input and seed: every split
keeps the original order of the rows (file order, then row order within a file).

Usage (from the repository root)::

    python scripts/build_youtube_example.py
    python scripts/build_youtube_example.py --raw /path/to/youtube_spam --out /tmp/out
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from _example_split import split, write_example  # run as a script: scripts/ is on sys.path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RAW = REPO_ROOT.parent / "shared" / "data" / "raw" / "youtube_spam"
DEFAULT_OUT = REPO_ROOT / "examples" / "youtube-spam" / "data"

# Raw file name -> value of the ``video`` column, in the canonical (output) order.
VIDEOS: dict[str, str] = {
    "Youtube01-Psy.csv": "psy",
    "Youtube02-KatyPerry.csv": "katyperry",
    "Youtube03-LMFAO.csv": "lmfao",
    "Youtube04-Eminem.csv": "eminem",
    "Youtube05-Shakira.csv": "shakira",
}
RAW_COLUMNS = ["COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"]
FEATURE_COLUMNS = ["comment_id", "author", "date", "content", "video"]
LABEL_NAMES = {"0": "ham", "1": "spam"}

SEED = 0
N_DEV = 120
N_TEST = 400


def load_raw(raw_dir: Path) -> pd.DataFrame:
    """Read and concatenate the five raw CSVs, keeping every field as a string."""
    frames = []
    for file_name, video in VIDEOS.items():
        path = raw_dir / file_name
        if not path.is_file():
            raise FileNotFoundError(f"missing raw file: {path}")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        missing = [c for c in RAW_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: missing columns {missing}")
        frame = frame[RAW_COLUMNS].copy()
        frame["video"] = video
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    bad = sorted(set(data["CLASS"]) - set(LABEL_NAMES))
    if bad:
        raise ValueError(f"unexpected CLASS values: {bad}")
    data = data.rename(columns={c: c.lower() for c in RAW_COLUMNS})
    data["label"] = data.pop("class").map(LABEL_NAMES)
    return data[[*FEATURE_COLUMNS, "label"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--raw", type=Path, default=DEFAULT_RAW, help=f"raw CSV directory (default: {DEFAULT_RAW})"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="split seed (default: 0)")
    args = parser.parse_args(argv)

    data = load_raw(args.raw)
    n_raw = len(data)
    duplicated = data["comment_id"].duplicated(keep="first")
    n_dupes = int(duplicated.sum())
    data = data[~duplicated].reset_index(drop=True)
    print(f"read {n_raw} rows from {args.raw}; dropped {n_dupes} duplicate comment_id(s)")

    dev, test, pool = split(data, N_DEV, N_TEST, args.seed)

    write_example(
        args.out, dev, test, pool, columns=FEATURE_COLUMNS, id_column="comment_id", pool_file="comments.csv"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
