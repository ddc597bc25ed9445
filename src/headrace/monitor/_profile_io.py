"""Reading and writing :class:`~headrace.monitor.profile.ReferenceProfile` as bytes.

One Parquet file: the reference sample as the table, and every statistic as JSON in
the schema metadata under ``headrace.profile``. The JSON is written with sorted keys,
no whitespace and Python's shortest round-tripping float reprs, and the Parquet file
with fixed options, so the same profile always gives the same bytes and reading them
back gives an equal profile.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from headrace.errors import DataError
from headrace.monitor.profile import (
    Binning,
    CategoricalReference,
    NumericReference,
    PredictionReference,
    ProfileSettings,
    ReferenceProfile,
    TextReference,
)
from headrace.monitor.summary import CategoricalStats, NumericStats, PredictionStats, TextStats

__all__ = ["FORMAT_VERSION", "METADATA_KEY", "profile_from_bytes", "profile_to_bytes"]

#: Schema-metadata key that holds the statistics.
METADATA_KEY = b"headrace.profile"
#: Layout version of the JSON; bumped when a reader of the old layout would misread it.
FORMAT_VERSION = 1


def profile_to_bytes(profile: ReferenceProfile) -> bytes:
    document = {
        "format": FORMAT_VERSION,
        "rows": profile.rows,
        "settings": asdict(profile.settings),
        "numeric": [
            {"name": name, "binning": ref.binning.to_json(), "stats": ref.stats.to_json()}
            for name, ref in profile.numeric.items()
        ],
        "categorical": [
            {"name": name, "categories": list(ref.categories), "stats": ref.stats.to_json()}
            for name, ref in profile.categorical.items()
        ],
        "text": [
            {
                "name": name,
                "length": ref.length.to_json(),
                "vocabulary": list(ref.vocabulary),
                "frequencies": list(ref.frequencies),
                "expected_oov_rate": ref.expected_oov_rate,
                "stats": ref.stats.to_json(),
            }
            for name, ref in profile.text.items()
        ],
        "prediction": None if profile.prediction is None else _prediction_to_json(profile.prediction),
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    table = profile.sample.replace_schema_metadata({METADATA_KEY: encoded})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", compression_level=3)
    return bytes(sink.getvalue().to_pybytes())


def profile_from_bytes(data: bytes) -> ReferenceProfile:
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"not a headrace reference profile (unreadable Parquet: {exc})") from exc
    metadata = table.schema.metadata or {}
    if METADATA_KEY not in metadata:
        raise DataError(
            "not a headrace reference profile: the Parquet file has no 'headrace.profile' metadata"
        )
    document = json.loads(metadata[METADATA_KEY])
    version = document.get("format")
    if version != FORMAT_VERSION:
        raise DataError(
            f"reference profile format {version!r} is not readable by this headrace (reads format "
            f"{FORMAT_VERSION}); upgrade headrace or rebuild the profile"
        )
    prediction = document["prediction"]
    return ReferenceProfile(
        rows=int(document["rows"]),
        numeric={
            entry["name"]: NumericReference(
                Binning.from_json(entry["binning"]), NumericStats.from_json(entry["stats"])
            )
            for entry in document["numeric"]
        },
        categorical={
            entry["name"]: CategoricalReference(
                tuple(str(c) for c in entry["categories"]), CategoricalStats.from_json(entry["stats"])
            )
            for entry in document["categorical"]
        },
        text={entry["name"]: _text_from_json(entry) for entry in document["text"]},
        prediction=None if prediction is None else _prediction_from_json(prediction),
        sample=table.replace_schema_metadata(None),
        settings=ProfileSettings(**document["settings"]),
    )


def _text_from_json(entry: dict[str, Any]) -> TextReference:
    return TextReference(
        length=Binning.from_json(entry["length"]),
        vocabulary=tuple(str(t) for t in entry["vocabulary"]),
        frequencies=tuple(int(f) for f in entry["frequencies"]),
        expected_oov_rate=float(entry["expected_oov_rate"]),
        stats=TextStats.from_json(entry["stats"]),
    )


def _prediction_to_json(prediction: PredictionReference) -> dict[str, Any]:
    return {
        "classes": list(prediction.classes),
        "binnings": [b.to_json() for b in prediction.binnings],
        "stats": prediction.stats.to_json(),
    }


def _prediction_from_json(data: dict[str, Any]) -> PredictionReference:
    return PredictionReference(
        classes=tuple(str(c) for c in data["classes"]),
        binnings=tuple(Binning.from_json(b) for b in data["binnings"]),
        stats=PredictionStats.from_json(data["stats"]),
    )
