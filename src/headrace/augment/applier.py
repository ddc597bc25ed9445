"""Applying transformation functions to training rows under a policy, labels carried over.

:func:`apply_tfs` takes the training rows (an Arrow table), their label distributions
(``n × k``) and a policy, and returns the augmented training set: each original row
(if the policy keeps originals) followed by its copies. A copy inherits its
original's label distribution — a TF is meant to keep the label (a typo does not turn
spam into ham) — and gets a derived id, ``"<original id>#aug<j>"`` (``j`` = the copy's
place among the policy's sequences for that row, so ids are stable however many
copies a TF declines). Two provenance columns say where every row came from:
``__augmented_from__`` (the original's id, null for originals) and ``__tfs__`` (the
TFs that made the copy, ``+``-joined).

A copy is left out when a TF in its sequence returns ``None`` (it declines the row)
or when it comes out identical to its original (it would only re-weight the row).
All randomness comes from ``numpy.random.default_rng(seed)``: one stream chooses the
policy's TFs, another is handed to the TFs that ask for ``rng``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from headrace.augment.policy import Policy
from headrace.augment.tf import TransformationFunction
from headrace.errors import AugmentationError

__all__ = [
    "AUGMENTED_FROM_COLUMN",
    "TFS_COLUMN",
    "AugmentResult",
    "apply_tfs",
    "augmentation_examples",
]

#: Column of an augmented table: the id of the row a copy was made from (null: an original).
AUGMENTED_FROM_COLUMN = "__augmented_from__"
#: Column of an augmented table: the TFs that made a copy, in order, joined by ``+``.
TFS_COLUMN = "__tfs__"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Rows per call of a vectorized TF (bounds the memory of one call).
BATCH_ROWS = 10_000


@dataclass(frozen=True)
class AugmentResult:
    """The augmented training set and what the augmentation did.

    Attributes
    ----------
    table
        The kept originals and the copies, each original followed by its copies, with
        the provenance columns; the id column is text when the input's was not (a
        copy's id is ``"<id>#aug<j>"``).
    probs
        Label distribution per output row: an original's own, a copy's original's.
    source
        Index (into the input rows) of the row each output row is or comes from.
    n_original, n_augmented
        Input rows, and copies in the output.
    per_tf
        Copies each TF took part in (by TF name, every TF listed).
    declined
        Copies a TF declined (returned ``None`` for), by TF name.
    unchanged
        Copies left out because they came out identical to their original.
    """

    table: pa.Table
    probs: FloatArray
    source: IntArray
    n_original: int
    n_augmented: int
    per_tf: dict[str, int]
    declined: dict[str, int]
    unchanged: int
    policy: dict[str, Any] = field(default_factory=dict)

    @property
    def augmented(self) -> BoolArray:
        """Whether each output row is a copy (``False``: an original)."""
        return np.asarray(self.table.column(AUGMENTED_FROM_COLUMN).is_valid().to_numpy(zero_copy_only=False))

    def summary(self) -> dict[str, Any]:
        """Counts, JSON-ready (run metrics, reports, ``--json``)."""
        return {
            "rows_in": self.n_original,
            "rows_added": self.n_augmented,
            "rows_out": self.table.num_rows,
            "per_tf": dict(self.per_tf),
            "declined": dict(self.declined),
            "unchanged": self.unchanged,
            "policy": dict(self.policy),
        }


@dataclass
class _Copy:
    original: int  # input row index
    index: int  # place among the policy's sequences for the original
    sequence: tuple[int, ...]
    row: dict[str, Any] | None


def apply_tfs(
    tfs: Sequence[TransformationFunction],
    table: pa.Table,
    probs: npt.ArrayLike,
    *,
    id_column: str,
    policy: Policy,
    seed: int = 0,
) -> AugmentResult:
    """Augment ``table`` with the copies ``policy`` asks of ``tfs``; carry labels over.

    Parameters
    ----------
    tfs : sequence of TransformationFunction
        The TFs, in the order the policy indexes them.
    table : pyarrow.Table
        The training rows (gold dev and test rows never go here: see the pipeline stage).
    probs : array, shape (n_rows, k)
        Each row's label distribution.
    id_column : str
        The column that identifies a row (named in errors; copies get derived ids).
    policy : Policy
        :class:`ApplyOnePolicy`, :class:`ApplyAllPolicy` or :class:`RandomPolicy`.
    seed : int
        Seed of every random choice: the same inputs and seed give the same rows.

    Returns
    -------
    AugmentResult

    Raises
    ------
    AugmentationError
        Invalid inputs (probs shape, id column, TF names), or a TF raised or returned
        a malformed row; the message names the TF and the row id.

    Examples
    --------
    >>> from headrace.augment import ApplyAllPolicy, transformation_function
    >>> @transformation_function()
    ... def shout(row):
    ...     return {**row, "text": row.text.upper()}
    >>> rows = pa.table({"id": ["a", "b"], "text": ["hi", "OK"]})
    >>> result = apply_tfs([shout], rows, [[1.0, 0.0], [0.2, 0.8]], id_column="id", policy=ApplyAllPolicy())
    >>> result.table.column("id").to_pylist(), result.unchanged
    (['a', 'a#aug0', 'b'], 1)
    """
    labels = _check_inputs(tfs, table, probs, id_column)
    rng_policy, rng_tfs = np.random.default_rng(seed).spawn(2)
    originals: list[dict[str, Any]] = table.to_pylist()
    ids: list[Any] = table.column(id_column).to_pylist()
    copies = [
        _Copy(i, j, sequence, originals[i])
        for i in range(len(originals))
        for j, sequence in enumerate(policy.sequences(len(tfs), rng_policy))
    ]
    declined = dict.fromkeys((tf.name for tf in tfs), 0)
    longest = max((len(c.sequence) for c in copies), default=0)
    # Step by step, each TF transforms all the copies it is due on at once, so a
    # vectorized TF is called once per batch rather than once per row. Copies are
    # visited in a fixed order, so the TFs draw from their stream reproducibly.
    for step in range(longest):
        due: dict[int, list[_Copy]] = {}
        for copy in copies:
            if copy.row is not None and len(copy.sequence) > step:
                due.setdefault(copy.sequence[step], []).append(copy)
        for t, tf in enumerate(tfs):
            todo = due.get(t, [])
            size = BATCH_ROWS if tf.vectorized else max(len(todo), 1)
            for start in range(0, len(todo), size):
                _transform(tf, tfs, todo[start : start + size], ids, table.schema, rng_tfs)
            declined[tf.name] += sum(c.row is None for c in todo)
    return _assemble(tfs, table, labels, originals, ids, copies, id_column, policy, declined)


def _check_inputs(
    tfs: Sequence[TransformationFunction], table: pa.Table, probs: npt.ArrayLike, id_column: str
) -> FloatArray:
    labels = np.asarray(probs, dtype=np.float64)
    if labels.ndim != 2 or labels.shape[0] != table.num_rows:
        raise AugmentationError(
            f"probs must be one label distribution per row, shape ({table.num_rows}, classes); "
            f"got {labels.shape}"
        )
    if id_column not in table.column_names:
        raise AugmentationError(f"no id column {id_column!r} in the rows; columns: {table.column_names}")
    taken = [c for c in (AUGMENTED_FROM_COLUMN, TFS_COLUMN) if c in table.column_names]
    if taken:
        raise AugmentationError(f"the rows already have column(s) {taken}; augment them once, not twice")
    names = [tf.name for tf in tfs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise AugmentationError(f"two transformation functions are named {twice}; names must be unique")
    return labels


def _transform(
    tf: TransformationFunction,
    tfs: Sequence[TransformationFunction],
    chunk: list[_Copy],
    ids: list[Any],
    schema: pa.Schema,
    rng: np.random.Generator,
) -> None:
    rows = [c.row for c in chunk if c.row is not None]
    if tf.vectorized:
        batch = _to_table(rows, schema, chunk, tfs, ids, before=tf.name)
        out: list[dict[str, Any] | None] = list(tf.transform_batch(batch, ids[chunk[0].original], rng))
    else:
        out = tf.transform_rows(rows, [ids[c.original] for c in chunk], rng)
    for copy, row in zip(chunk, out, strict=True):
        copy.row = row


def _to_table(
    rows: list[dict[str, Any]],
    schema: pa.Schema,
    copies: list[_Copy],
    tfs: Sequence[TransformationFunction],
    ids: list[Any],
    *,
    before: str | None = None,
) -> pa.Table:
    """The rows as a table of ``schema``; on a type mismatch, name the TFs that caused it."""
    try:
        return pa.Table.from_pylist(rows, schema=schema)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        # Find the first row that does not fit (only on this error path: one by one).
        for row, copy in zip(rows, copies, strict=True):
            try:
                pa.Table.from_pylist([row], schema=schema)
            except (pa.ArrowException, TypeError, ValueError) as row_exc:
                names = "+".join(tfs[t].name for t in copy.sequence)
                where = f" (before {before!r} ran)" if before else ""
                raise AugmentationError(
                    f"transformation function(s) {names!r} made a row from row {ids[copy.original]!r} "
                    f"whose values do not fit the columns' types{where}: {row_exc}; keep each column's type"
                ) from row_exc
        raise AugmentationError(f"augmented rows do not fit the columns' types: {exc}") from exc


def _assemble(
    tfs: Sequence[TransformationFunction],
    table: pa.Table,
    labels: FloatArray,
    originals: list[dict[str, Any]],
    ids: list[Any],
    copies: list[_Copy],
    id_column: str,
    policy: Policy,
    declined: dict[str, int],
) -> AugmentResult:
    id_type = table.schema.field(id_column).type
    # A copy's id is text ("c-1#aug0"); an integer id column becomes text so that
    # originals and copies share one column type.
    textual = pa.types.is_string(id_type) or pa.types.is_large_string(id_type)
    rows: list[dict[str, Any]] = []
    kept: list[_Copy] = []
    source: list[int] = []
    from_ids: list[str | None] = []
    made_by: list[str | None] = []
    per_tf = dict.fromkeys((tf.name for tf in tfs), 0)
    unchanged = 0
    by_original: dict[int, list[_Copy]] = {}
    for copy in copies:
        by_original.setdefault(copy.original, []).append(copy)
    for i, original in enumerate(originals):
        if policy.keep_original:
            rows.append(original if textual else {**original, id_column: str(ids[i])})
            kept.append(_Copy(i, -1, (), original))
            source.append(i)
            from_ids.append(None)
            made_by.append(None)
        for copy in by_original.get(i, []):
            if copy.row is None:
                continue
            if copy.row == original:
                unchanged += 1
                continue
            rows.append({**copy.row, id_column: f"{ids[i]}#aug{copy.index}"})
            kept.append(copy)
            source.append(i)
            from_ids.append(str(ids[i]))
            made_by.append("+".join(tfs[t].name for t in copy.sequence))
            for t in set(copy.sequence):
                per_tf[tfs[t].name] += 1
    schema = (
        table.schema
        if textual
        else table.schema.set(table.schema.get_field_index(id_column), pa.field(id_column, pa.string()))
    )
    out = _to_table(rows, schema, kept, tfs, ids)
    out = out.append_column(AUGMENTED_FROM_COLUMN, pa.array(from_ids, pa.string()))
    out = out.append_column(TFS_COLUMN, pa.array(made_by, pa.string()))
    index = np.asarray(source, dtype=np.int64)
    return AugmentResult(
        table=out,
        probs=labels[index] if len(index) else np.empty((0, labels.shape[1])),
        source=index,
        n_original=len(originals),
        n_augmented=sum(f is not None for f in from_ids),
        per_tf=per_tf,
        declined=declined,
        unchanged=unchanged,
        policy=policy.describe(),
    )


def augmentation_examples(
    augmented: pa.Table, originals: pa.Table, *, id_column: str, n: int = 5, seed: int = 0
) -> list[dict[str, Any]]:
    """Up to ``n`` copies, drawn at random (seeded), each with the columns its TFs changed.

    ``originals`` is the table that was augmented. Each example is
    ``{"id", "from", "tfs", "changes": {column: {"before", "after"}}}``.
    """
    from_column = augmented.column(AUGMENTED_FROM_COLUMN)
    copies = np.flatnonzero(from_column.is_valid().to_numpy(zero_copy_only=False))
    if n <= 0 or len(copies) == 0:
        return []
    chosen = np.sort(np.random.default_rng(seed).choice(copies, size=min(n, len(copies)), replace=False))
    by_id = {str(row_id): i for i, row_id in enumerate(originals.column(id_column).to_pylist())}
    picked = augmented.take(pa.array(chosen)).to_pylist()
    examples: list[dict[str, Any]] = []
    for row in picked:
        source = originals.slice(by_id[row[AUGMENTED_FROM_COLUMN]], 1).to_pylist()[0]
        changes = {
            column: {"before": source[column], "after": row[column]}
            for column in originals.column_names
            if column != id_column and row.get(column) != source[column]
        }
        origin = row[AUGMENTED_FROM_COLUMN]
        examples.append({"id": row[id_column], "from": origin, "tfs": row[TFS_COLUMN], "changes": changes})
    return examples
