"""``headrace suggest`` and ``headrace annotate``: closing the data-centric loop.

:func:`suggest_rows` ranks the pool's rows with a strategy of
:mod:`headrace.supervision.active` on the supervision stages' outputs (cached: nothing
is retrained) and writes the best ones to a CSV with an empty label column;
:func:`import_annotations` reads the filled file back into a new version of the
project's annotations (:mod:`headrace.pipeline.annotations`), which the next
``headrace run`` trains on. Both are recorded as runs: ``suggestions`` (inputs: the
snapshot, label matrix, training labels and, where used, the model and annotations;
output: the CSV) and ``annotations`` (inputs: the snapshot, the imported file, the
previous version; output: the new version).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from headrace.engines import Engine
from headrace.errors import DataError, LabelModelError
from headrace.html_report import atomic_write
from headrace.pipeline.annotations import (
    ANNOTATIONS_RUN,
    Annotations,
    merge_annotations,
    pool_ids,
    read_annotation_file,
    write_annotations,
)
from headrace.pipeline.context import PipelineContext, ProgressReporter
from headrace.pipeline.ingest import IngestOutput, ingest
from headrace.pipeline.session import pipeline_session
from headrace.pipeline.supervise import supervise
from headrace.project import ProjectConfig
from headrace.registry import get_version, load_package
from headrace.store.filelock import file_lock
from headrace.supervision.active import STRATEGIES, rank_rows

__all__ = [
    "DEFAULT_SUGGESTIONS",
    "SUGGESTIONS_RUN",
    "AnnotateResult",
    "SuggestResult",
    "import_annotations",
    "suggest_rows",
]

#: File in the store's folder that ``import_annotations`` holds while it makes a version.
ANNOTATIONS_LOCK = "annotations.lock"

#: Kind of the run that ranks rows and writes a suggestions file.
SUGGESTIONS_RUN = "suggestions"

#: Where ``headrace suggest`` writes, in the project folder, unless told otherwise.
DEFAULT_SUGGESTIONS = "suggestions.csv"

#: The model ``disagreement`` compares with unless told otherwise.
DEFAULT_MODEL = "staging"

# Columns a suggestions file adds to the pool's; prefixed so they cannot shadow a data column.
_RANK, _SCORE, _GUESS, _CONFIDENCE, _MODEL_GUESS = (
    "suggest_rank",
    "suggest_score",
    "suggest_guess",
    "suggest_confidence",
    "suggest_model_guess",
)


@dataclass(frozen=True)
class SuggestResult:
    """What one ``headrace suggest`` wrote."""

    run_id: str
    path: Path
    strategy: str
    rows: int
    #: Rows the strategy could choose from (after exclusions).
    eligible: int
    #: Pool rows left out because they are annotated already or are gold rows.
    excluded: int
    label_model: str
    model_version: int | None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "run_id": self.run_id,
            "path": str(self.path),
            "strategy": self.strategy,
            "rows": self.rows,
            "eligible": self.eligible,
            "excluded": self.excluded,
            "label_model": self.label_model,
            "model_version": self.model_version,
        }


@dataclass(frozen=True)
class AnnotateResult:
    """What one ``headrace annotate`` imported."""

    file: Path
    #: Rows in the file, rows with a label, rows left blank.
    rows: int
    labeled: int
    skipped: int
    added: int
    #: ``(id, previous label, new label)`` per id the file labels differently than before.
    relabeled: list[tuple[str, str, str]]
    unchanged: int
    #: Annotated rows in the current version, and that version (``None``: none yet).
    total: int
    version: int | None
    previous_version: int | None
    #: The ``annotations`` run that wrote the version; ``None`` when nothing changed.
    run_id: str | None

    @property
    def changed(self) -> bool:
        """Whether a new version was written."""
        return self.run_id is not None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return {
            "file": str(self.file),
            "rows": self.rows,
            "labeled": self.labeled,
            "skipped": self.skipped,
            "added": self.added,
            "relabeled": [{"id": i, "from": old, "to": new} for i, old, new in self.relabeled],
            "unchanged": self.unchanged,
            "total": self.total,
            "version": self.version,
            "previous_version": self.previous_version,
            "changed": self.changed,
            "run_id": self.run_id,
        }


def label_column(config: ProjectConfig) -> str:
    """The column annotators fill: the gold files' label column (``data.gold.label``)."""
    return "label" if config.data.gold is None else config.data.gold.label


def suggest_rows(
    root: Path | str,
    *,
    n: int = 50,
    strategy: str = "uncertainty",
    output: Path | str | None = None,
    seed: int = 0,
    model: str | None = None,
    overwrite: bool = False,
    progress: ProgressReporter | None = None,
    engine: Engine | None = None,
) -> SuggestResult:
    """Write the ``n`` pool rows ``strategy`` ranks best to a CSV to annotate.

    The file holds, best first, the id, an empty label column (``data.gold.label``,
    ``label`` by default), the rank, the strategy's score, the label model's guess and
    confidence (blank where no LF voted), for ``disagreement`` the model's guess, then
    the pool's other columns. Rows already annotated and gold dev/test rows are never
    suggested. The supervision stages come from the cache where unchanged; nothing is
    trained.

    Parameters
    ----------
    root : path
        The project folder.
    n : int
        Rows to suggest at most (fewer when fewer rows qualify).
    strategy : str
        One of :data:`~headrace.supervision.active.STRATEGIES`.
    output : path, optional
        The CSV to write; default ``suggestions.csv`` in the project folder.
    seed : int
        Orders equal scores (and draws ``random``'s rows).
    model : str, optional
        The model ``disagreement`` compares with: an alias or version; default ``staging``.
    overwrite : bool
        Replace ``output`` if it exists (it is refused otherwise).

    Raises
    ------
    DataError
        ``output`` exists and ``overwrite`` is false, or a pool column clashes with a
        column the file adds.
    NotFoundError
        ``disagreement`` and no such model (run ``headrace run`` first).
    LabelModelError
        An unknown strategy or ``n < 1``.
    """
    if strategy not in STRATEGIES:
        raise LabelModelError(f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}")
    with pipeline_session(root, "suggest", progress=progress, engine=engine) as (ctx, session_run):
        config = ctx.project.config
        path = ctx.project.root / DEFAULT_SUGGESTIONS if output is None else Path(output)
        if path.exists() and not overwrite:
            raise DataError(
                f"{path}: exists (perhaps annotations in progress); pass --overwrite to replace it, "
                "or write elsewhere with --out"
            )
        if not path.parent.is_dir():
            raise DataError(f"{path}: folder {path.parent} does not exist; create it or write elsewhere")
        supervision = supervise(ctx)
        data, labels = supervision.data, supervision.labels
        ids = pool_ids(data.unlabeled, config.data.id)
        exclude = np.isin(ids, sorted(_annotated_or_gold(data, config.data.id)))
        inputs = {
            "snapshot": data.unlabeled.id,
            "label_matrix": supervision.labeling.matrix_id,
            "training_labels": labels.object_id,
        }
        if data.annotations is not None:
            inputs["annotations"] = data.annotations.object_id
        model_probs = None
        model_guess = None
        model_version = None
        if strategy == "disagreement":
            version = get_version(ctx.store, model or DEFAULT_MODEL)
            package = load_package(ctx.store, version.object_id)
            model_probs = package.predict_proba(data.unlabeled.table)
            model_guess = package.decide(model_probs)
            model_version = version.version
            inputs["model"] = version.object_id
        params = {"project": config.name, "strategy": strategy, "n": n, "seed": seed}
        if model_version is not None:
            params["model"] = model or DEFAULT_MODEL
        with ctx.store.runs.recording(
            SUGGESTIONS_RUN, params=params, inputs=inputs, parent_id=ctx.parent_id
        ) as run:
            ranking = rank_rows(
                strategy,
                n=n,
                L=supervision.labeling.matrix.values,
                label_probs=labels.probs,
                model_probs=model_probs,
                exclude=exclude,
                seed=seed,
            )
            frame = _suggestions_frame(ctx, data, labels.probs, labels.covered, ranking.rows, ranking.scores)
            if model_guess is not None:
                frame.insert(6, _MODEL_GUESS, [config.task.labels[i] for i in model_guess[ranking.rows]])
            text = frame.to_csv(index=False)
            run.outputs["suggestions"] = ctx.store.put(
                "suggestions", data=text.encode("utf-8"), meta={"strategy": strategy, "rows": len(frame)}
            )
            atomic_write(path, text)
            run.metrics.update(
                rows=len(frame),
                eligible=ranking.eligible,
                excluded=int(exclude.sum()),
                file=str(path),
                model_version=model_version,
            )
        session_run.metrics.update(strategy=strategy, rows=len(frame))
        return SuggestResult(
            run_id=run.id,
            path=path,
            strategy=strategy,
            rows=len(frame),
            eligible=ranking.eligible,
            excluded=int(exclude.sum()),
            label_model=labels.label_model,
            model_version=model_version,
        )


def import_annotations(
    root: Path | str,
    file: Path | str,
    *,
    progress: ProgressReporter | None = None,
    engine: Engine | None = None,
) -> AnnotateResult:
    """Import a filled annotation file as a new version of the project's annotations.

    The new version is the current one updated by the file: new ids are added, an id
    the file labels differently takes the file's label (reported in ``relabeled``),
    rows with a blank label are skipped. When that changes nothing, no version is
    written. The next ``headrace run`` trains on the annotated rows' hand labels.

    Raises
    ------
    DataError
        The file is unreadable, lacks the id or label column, or has rows that name an
        id outside the pool or in a gold set, a label not in ``task.labels``, or one id
        twice with different labels; the message names the rows. Nothing is stored.
    """
    path = Path(file)
    with (
        pipeline_session(root, "annotate", progress=progress, engine=engine) as (ctx, session_run),
        # Read the current version and record the next in one go: two imports at once
        # would otherwise both build on the same version and one's labels be lost.
        file_lock(ctx.store.root / ANNOTATIONS_LOCK),
    ):
        config = ctx.project.config
        data = ingest(ctx)
        parsed = read_annotation_file(
            path,
            id_column=config.data.id,
            label_column=label_column(config),
            classes=config.task.labels,
            pool=set(pool_ids(data.unlabeled, config.data.id)),
            gold=_gold_ids(data, config.data.id),
        )
        previous = data.annotations
        merge = merge_annotations({} if previous is None else previous.labels, parsed.labels)
        version = None if previous is None else previous.version
        run_id = None
        if merge.changed:
            version = 1 if previous is None else previous.version + 1
            run_id = _record_version(ctx, data, path, merge.labels, version, previous)
        session_run.metrics.update(version=version, labeled=len(parsed.labels), changed=merge.changed)
        return AnnotateResult(
            file=path,
            rows=parsed.rows,
            labeled=len(parsed.labels),
            skipped=parsed.skipped,
            added=len(merge.added),
            relabeled=merge.relabeled,
            unchanged=merge.unchanged,
            total=len(merge.labels),
            version=version,
            previous_version=None if previous is None else previous.version,
            run_id=run_id,
        )


def _record_version(
    ctx: PipelineContext,
    data: IngestOutput,
    path: Path,
    labels: dict[str, str],
    version: int,
    previous: Annotations | None,
) -> str:
    file_id = ctx.store.put("annotation_file", data=path.read_bytes(), meta={"file": path.name})
    inputs = {"snapshot": data.unlabeled.id, "annotation_file": file_id}
    if previous is not None:
        inputs["previous"] = previous.object_id
    params = {"project": ctx.project.config.name, "file": str(path)}
    with ctx.store.runs.recording(
        ANNOTATIONS_RUN, params=params, inputs=inputs, parent_id=ctx.parent_id
    ) as run:
        run.outputs[ANNOTATIONS_RUN] = write_annotations(ctx.store, labels).id
        run.metrics.update(version=version, rows=len(labels))
    return run.id


def _gold_ids(data: IngestOutput, id_column: str) -> dict[str, str]:
    gold: dict[str, str] = {}
    for key, snapshot in (("data.gold.dev", data.gold_dev), ("data.gold.test", data.gold_test)):
        if snapshot is not None:
            gold.update(dict.fromkeys(pool_ids(snapshot, id_column), key))
    return gold


def _annotated_or_gold(data: IngestOutput, id_column: str) -> set[str]:
    annotated = set() if data.annotations is None else set(data.annotations.labels)
    return annotated | set(_gold_ids(data, id_column))


def _suggestions_frame(
    ctx: PipelineContext,
    data: IngestOutput,
    probs: np.ndarray[Any, np.dtype[np.float64]],
    covered: np.ndarray[Any, np.dtype[np.bool_]],
    rows: np.ndarray[Any, np.dtype[np.int64]],
    scores: np.ndarray[Any, np.dtype[np.float64]],
) -> pd.DataFrame:
    config = ctx.project.config
    id_column, label = config.data.id, label_column(config)
    others = [c for c in data.unlabeled.table.column_names if c != id_column]
    clash = sorted({label, _RANK, _SCORE, _GUESS, _CONFIDENCE, _MODEL_GUESS} & set(others))
    if clash:
        raise DataError(
            f"data.unlabeled: column(s) {clash} clash with the columns headrace suggest adds; "
            "rename them in the data, or set data.gold.label to another name"
        )
    pool = data.unlabeled.table.take(rows).to_pandas()
    chosen = probs[rows]
    guessed = covered[rows]
    frame = pd.DataFrame(
        {
            id_column: pool[id_column],
            label: "",
            _RANK: np.arange(1, len(rows) + 1),
            _SCORE: np.round(scores, 4),
            # An uncovered row's label-model output is only the class prior: no guess.
            _GUESS: [
                config.task.labels[i] if g else ""
                for i, g in zip(chosen.argmax(axis=1), guessed, strict=True)
            ],
            _CONFIDENCE: [
                round(float(p), 4) if g else None for p, g in zip(chosen.max(axis=1), guessed, strict=True)
            ],
        }
    )
    for column in others:
        frame[column] = pool[column]
    return frame
