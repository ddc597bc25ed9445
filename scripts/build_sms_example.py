"""Build the bundled ``examples/sms-spam`` data set from the raw UCI SMS Spam Collection.

Source: the UCI SMS Spam Collection v.1 (CC BY 4.0),
T. A. Almeida, J. M. Gómez Hidalgo, A. Yamakami, "Contributions to the Study of SMS
Spam Filtering: New Collection and Results", ACM DocEng 2011.

The raw file ``SMSSpamCollection`` has one message per line, ``label<TAB>text``
(5,574 messages: 4,827 ham, 747 spam). The script

1. reads it, giving every message the id ``sms#####`` from its 1-based line number
   (so an id always points back at the raw line);
2. drops messages whose text repeats an earlier message's text exactly (keeping the
   first): the collection holds 403 such copies (309 ham stock replies such as
   "Sorry, I'll call later", 94 spam campaigns sent more than once), and leaving them
   in would put the same message in the pool and in the test set. Every repeated text
   has one label, so nothing is lost but the copies;
3. makes a split **stratified by label** with ``numpy.random.default_rng(seed)``:

   * ``gold_dev.csv``     -- 200 labelled rows (LF development / label-model choice)
   * ``gold_test.csv``    -- 1,000 labelled rows (held-out evaluation)
   * ``messages.csv``     -- the rest, *without* labels: the unlabelled pool
   * ``pool_labels.csv``  -- the withheld truth for the pool (message_id, label), only
     for a fully-supervised reference run; the pipeline must never read it.

Every split keeps the raw file's order, and the CSVs use minimal quoting and ``\\n``
line endings: the output is byte-for-byte deterministic for a given input and seed.

Usage (from the repository root)::

    python scripts/build_sms_example.py
    python scripts/build_sms_example.py --raw /path/to/sms_spam --out /tmp/out
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from _example_split import split, write_example  # run as a script: scripts/ is on sys.path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RAW = REPO_ROOT.parent / "shared" / "data" / "raw" / "sms_spam"
DEFAULT_OUT = REPO_ROOT / "examples" / "sms-spam" / "data"
RAW_FILE = "SMSSpamCollection"

FEATURE_COLUMNS = ["message_id", "text"]
LABELS = ("ham", "spam")

SEED = 0
N_DEV = 200
N_TEST = 1000


def load_raw(raw_dir: Path) -> pd.DataFrame:
    """Read ``label<TAB>text`` lines into ``message_id, text, label`` (raw order)."""
    path = raw_dir / RAW_FILE
    if not path.is_file():
        raise FileNotFoundError(f"missing raw file: {path}")
    records: list[tuple[str, str, str]] = []
    with path.open(encoding="utf-8", newline="\n") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n").rstrip("\r")
            label, sep, text = line.partition("\t")
            if not sep or label not in LABELS:
                raise ValueError(f"{path}:{number}: expected 'ham|spam<TAB>text', got {line[:60]!r}")
            records.append((f"sms{number:05d}", text, label))
    return pd.DataFrame.from_records(records, columns=[*FEATURE_COLUMNS, "label"])


def drop_duplicate_texts(data: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep the first message of every exact text; fail if copies disagree on the label."""
    labels_per_text = data.groupby("text", sort=False)["label"].nunique()
    conflicting = labels_per_text[labels_per_text > 1]
    if len(conflicting):
        raise ValueError(f"{len(conflicting)} texts appear with both labels, e.g. {conflicting.index[0]!r}")
    duplicated = data["text"].duplicated(keep="first")
    return data[~duplicated].reset_index(drop=True), int(duplicated.sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--raw", type=Path, default=DEFAULT_RAW, help=f"raw data directory (default: {DEFAULT_RAW})"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="split seed (default: 0)")
    args = parser.parse_args(argv)

    data = load_raw(args.raw)
    n_raw = len(data)
    data, n_dupes = drop_duplicate_texts(data)
    print(f"read {n_raw} messages from {args.raw}; dropped {n_dupes} exact duplicate text(s)")

    dev, test, pool = split(data, N_DEV, N_TEST, args.seed)

    write_example(
        args.out, dev, test, pool, columns=FEATURE_COLUMNS, id_column="message_id", pool_file="messages.csv"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
