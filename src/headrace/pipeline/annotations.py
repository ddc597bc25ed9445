"""Hand annotations of pool rows, kept as versioned snapshots in the store.

``headrace annotate FILE`` checks a file of ``(id, label)`` rows against the pool and
merges it with the current annotations into a new version: a run of kind
:data:`ANNOTATIONS_RUN` whose output is a snapshot with one row per annotated pool row
(``id``, ``label``: the class name), sorted by id so equal content is one object. The
project's current version is the output of its newest succeeded such run, which every
``headrace run`` looks up (:func:`current_annotations`); the train stage lists the
snapshot among its inputs, so a new version retrains and nothing else does.

Ids are compared as text (``str`` of the pool's value): an annotation file read from
CSV cannot tell ``"007"`` from ``7`` otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import select

from headrace.data import Snapshot, read_table, write_snapshot
from headrace.data.snapshot import read_parquet_object
from headrace.errors import DataError, StoreError
from headrace.store import RunStatus, Store
from headrace.store.schema import RunRow

__all__ = [
    "ANNOTATIONS_RUN",
    "AnnotatedTraining",
    "AnnotationFile",
    "Annotations",
    "Merge",
    "annotate_training_labels",
    "current_annotations",
    "merge_annotations",
    "pool_ids",
    "read_annotation_file",
    "write_annotations",
]

#: Kind of the run that writes a version of a project's annotations (and role of its output).
ANNOTATIONS_RUN = "annotations"

#: Problems listed in one error message at most; the rest are counted.
_MAX_PROBLEMS = 10


@dataclass(frozen=True)
class Annotations:
    """One version of a project's hand annotations: pool id → class name."""

    object_id: str
    version: int
    run_id: str
    labels: dict[str, str]

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class AnnotationFile:
    """The labeled rows of an annotation file, checked against the pool."""

    path: Path
    labels: dict[str, str]
    rows: int
    skipped: int


@dataclass(frozen=True)
class Merge:
    """A new set of annotations and how it differs from the previous one."""

    labels: dict[str, str]
    added: list[str] = field(default_factory=list)
    #: ``(id, previous label, new label)`` for each id the new file labels differently.
    relabeled: list[tuple[str, str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        """Whether the merge differs from the previous annotations."""
        return bool(self.added or self.relabeled)


@dataclass(frozen=True)
class AnnotatedTraining:
    """Training labels with the annotated rows' weak labels replaced by their hand labels."""

    probs: npt.NDArray[np.float64]
    #: Pool rows that carry a hand label.
    annotated: npt.NDArray[np.bool_]
    version: int
    #: Covered annotated rows whose hand label is not the label model's most likely class
    #: (an uncovered row's label-model output is only the class prior: no guess to differ from).
    differ_from_label_model: int
    #: Annotated rows no LF voted on.
    uncovered: int
    #: Annotated ids no longer in the pool (the data changed since they were labeled).
    missing: int

    def to_dict(self) -> dict[str, int]:
        """The counts, for the train run's metrics and the report."""
        return {
            "version": self.version,
            "used": int(self.annotated.sum()),
            "differ_from_label_model": self.differ_from_label_model,
            "uncovered": self.uncovered,
            "missing": self.missing,
        }


def pool_ids(snapshot: Snapshot, id_column: str) -> list[str]:
    """The snapshot's ids as text, in row order (how annotations name rows)."""
    return [str(value) for value in snapshot.table.column(id_column).to_pylist()]


def current_annotations(store: Store, project: str) -> Annotations | None:
    """The newest version of ``project``'s annotations in ``store``; ``None`` before the first.

    Raises
    ------
    StoreError
        The version's snapshot is gone from the object store.
    """
    with store.session() as session:
        rows = session.execute(
            select(RunRow.id, RunRow.params)
            .where(RunRow.kind == ANNOTATIONS_RUN, RunRow.status == RunStatus.SUCCEEDED)
            .order_by(RunRow.started_at.desc())
        )
        # A team database may hold several projects' runs: the newest of this one's wins.
        run_id = next((rid for rid, params in rows if (params or {}).get("project") == project), None)
    if run_id is None:
        return None
    record = store.runs.get(run_id)
    object_id = record.outputs[ANNOTATIONS_RUN]
    if not store.objects.exists(object_id):
        raise StoreError(
            f"annotations v{record.metrics.get('version')} (run {run_id}) point at object {object_id}, "
            "which is missing from the object store; import the annotation files again with headrace annotate"
        )
    table = read_parquet_object(store, object_id)
    labels = dict(zip(table.column("id").to_pylist(), table.column("label").to_pylist(), strict=True))
    return Annotations(object_id, int(record.metrics["version"]), run_id, labels)


def write_annotations(store: Store, labels: Mapping[str, str]) -> Snapshot:
    """Store ``labels`` (id → class name) as an annotations snapshot, sorted by id."""
    ids = sorted(labels)
    table = pa.table(
        {"id": pa.array(ids, type=pa.string()), "label": pa.array([labels[i] for i in ids], type=pa.string())}
    )
    return write_snapshot(store, table, role=ANNOTATIONS_RUN)


def read_annotation_file(
    path: Path,
    *,
    id_column: str,
    label_column: str,
    classes: Sequence[str],
    pool: Collection[str],
    gold: Mapping[str, str],
) -> AnnotationFile:
    """Read and check an annotation file (CSV, Parquet or JSON lines).

    A row with a blank label is skipped (not yet annotated); a label is a class name,
    surrounding spaces ignored. The same id twice with the same label counts once.

    Parameters
    ----------
    id_column, label_column : str
        The columns holding the pool id and the label.
    classes : sequence of str
        ``task.labels``: the labels allowed.
    pool : collection of str
        The ids of the unlabeled pool (:func:`pool_ids`).
    gold : mapping of str to str
        Ids of gold rows → the key naming their set (``data.gold.test``), refused.

    Raises
    ------
    DataError
        The file is unreadable or lacks a column; or rows name an id not in the pool or
        in a gold set, have a label not in ``classes``, or label one id twice
        differently. The message names each offending row (1-based, header excluded)
        and the fix; nothing is imported then.
    """
    if not path.is_file():
        raise DataError(f"{path}: no such annotation file")
    table = _read(path, id_column, label_column)
    if table.num_rows == 0:
        raise DataError(f"{path}: holds no rows")
    for column in (id_column, label_column):
        if column not in table.column_names:
            raise DataError(
                f"{path}: has no column {column!r}; an annotation file needs {id_column!r} (data.id) and "
                f"{label_column!r}, as written by headrace suggest; columns present: {table.column_names}"
            )
    ids = [_text(v) for v in table.column(id_column).to_pylist()]
    values = [_text(v) for v in table.column(label_column).to_pylist()]
    allowed = set(classes)
    labels: dict[str, str] = {}
    first_row: dict[str, int] = {}
    problems: list[str] = []
    skipped = 0
    for row, (row_id, label) in enumerate(zip(ids, values, strict=True), start=1):
        where = f"row {row} (id {row_id!r})"
        if not label:
            skipped += 1
            continue
        if not row_id:
            problems.append(f"row {row}: has a label but no {id_column!r}; fill in the pool id")
        elif row_id in gold:
            problems.append(f"{where}: is a gold row ({gold[row_id]}); gold rows score the model, remove it")
        elif row_id not in pool:
            problems.append(f"{where}: no such id in the unlabeled pool (data.unlabeled); annotate pool rows")
        elif label not in allowed:
            problems.append(
                f"{where}: label {label!r} is not one of {list(classes)} (task.labels); "
                "correct it, or leave it blank to skip the row"
            )
        elif row_id in labels and labels[row_id] != label:
            problems.append(
                f"{where}: labels the id {label!r}, but row {first_row[row_id]} labels it "
                f"{labels[row_id]!r}; keep one"
            )
        else:
            labels.setdefault(row_id, label)
            first_row.setdefault(row_id, row)
    if problems:
        more = len(problems) - _MAX_PROBLEMS
        listed = "\n  ".join(problems[:_MAX_PROBLEMS]) + (f"\n  … and {more} more" if more > 0 else "")
        raise DataError(f"{path}: {len(problems)} row(s) cannot be imported; nothing was:\n  {listed}")
    return AnnotationFile(path=path, labels=labels, rows=table.num_rows, skipped=skipped)


def merge_annotations(previous: Mapping[str, str], new: Mapping[str, str]) -> Merge:
    """The previous annotations updated by ``new``: a re-labeled id takes the new label.

    >>> m = merge_annotations({"a": "ham", "b": "spam"}, {"b": "ham", "c": "spam"})
    >>> m.labels, m.added, m.relabeled, m.unchanged
    ({'a': 'ham', 'b': 'ham', 'c': 'spam'}, ['c'], [('b', 'spam', 'ham')], 0)
    """
    labels = dict(previous)
    added: list[str] = []
    relabeled: list[tuple[str, str, str]] = []
    unchanged = 0
    for row_id in sorted(new):
        label = new[row_id]
        if row_id not in labels:
            added.append(row_id)
        elif labels[row_id] != label:
            relabeled.append((row_id, labels[row_id], label))
        else:
            unchanged += 1
        labels[row_id] = label
    return Merge(dict(sorted(labels.items())), added, relabeled, unchanged)


def annotate_training_labels(
    ids: Sequence[str],
    probs: npt.NDArray[np.float64],
    covered: npt.NDArray[np.bool_],
    annotations: Annotations,
    classes: Sequence[str],
) -> AnnotatedTraining:
    """Replace the weak labels of annotated rows with their hand label (one-hot).

    ``ids``, ``probs`` and ``covered`` are the pool's, row-aligned (the training labels).

    Raises
    ------
    DataError
        A stored label is no longer a class (``task.labels`` changed since it was made).
    """
    index = {name: i for i, name in enumerate(classes)}
    unknown = sorted({label for label in annotations.labels.values() if label not in index})
    if unknown:
        raise DataError(
            f"annotations v{annotations.version} use label(s) {unknown}, which are not in task.labels "
            f"{list(classes)}; restore them or import a file that re-labels those rows"
        )
    rows = {row_id: i for i, row_id in enumerate(ids)}
    hits = [(rows[row_id], index[label]) for row_id, label in annotations.labels.items() if row_id in rows]
    positions = np.array([h[0] for h in hits], dtype=np.int64)
    targets = np.array([h[1] for h in hits], dtype=np.int64)
    result = np.array(probs, dtype=np.float64, copy=True)
    result[positions] = np.eye(len(classes))[targets]
    mask = np.zeros(len(ids), dtype=bool)
    mask[positions] = True
    voted = np.asarray(covered, dtype=bool)[positions]
    return AnnotatedTraining(
        probs=result,
        annotated=mask,
        version=annotations.version,
        differ_from_label_model=int(((np.asarray(probs)[positions].argmax(axis=1) != targets) & voted).sum()),
        uncovered=int((~voted).sum()),
        missing=len(annotations) - len(hits),
    )


def _read(path: Path, id_column: str, label_column: str) -> pa.Table:
    if path.suffix.lower() != ".csv":
        return read_table(path)
    # Read ids and labels as text: type inference would turn "007" into 7.
    try:
        return pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={id_column: pa.string(), label_column: pa.string()},
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise DataError(f"{path}: cannot be read as CSV: {exc}") from exc


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
