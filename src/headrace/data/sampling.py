"""Sampling rows: a bounded uniform sample of a stream, stratified splits, weighted draws.

Every sampler takes a seed and draws from its own ``numpy.random.Generator``, so the
same input and seed give the same rows, and nothing depends on global random state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from headrace.errors import DataError

__all__ = ["ReservoirSampler", "stratified_sample", "stratified_split", "weighted_sample"]

IntArray = npt.NDArray[np.int64]


class ReservoirSampler:
    """A uniform sample of at most ``size`` rows of a stream of Arrow tables or batches.

    After any number of :meth:`update` calls, every row seen so far is in
    :meth:`sample` with probability ``size / seen`` (all of them while ``seen <= size``),
    whatever the batch sizes. Memory holds the sample only. Uses Li's Algorithm L: the
    number of rows to skip before the next replacement is drawn directly, so a long
    stream costs a few random numbers per replacement, not one per row.

    Parameters
    ----------
    size : int
        Rows kept at most.
    seed : int
        Seed of the sampler's generator.

    Examples
    --------
    >>> sampler = ReservoirSampler(1000, seed=0)
    >>> for batch in batches:  # doctest: +SKIP
    ...     sampler.update(batch)
    >>> sampler.sample().num_rows  # doctest: +SKIP
    1000
    """

    def __init__(self, size: int, *, seed: int = 0) -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive integer, got {size!r}")
        self.size = size
        self.seen = 0
        self._rng = np.random.default_rng(seed)
        self._tables: list[pa.Table] = []
        self._slots: IntArray = np.empty(0, dtype=np.int64)  # slot -> row of the concatenated tables
        self._w = math.exp(math.log(self._rng.random()) / size)
        self._next = 0  # stream position of the next replacement (once the reservoir is full)

    def update(self, rows: pa.Table | pa.RecordBatch) -> None:
        """Offer the next rows of the stream."""
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_batches([rows])
        n = table.num_rows
        if n == 0:
            return
        if self._tables and table.schema != self._tables[0].schema:
            raise DataError(f"the stream's schema changed: {table.schema} after {self._tables[0].schema}")
        start, end = self.seen, self.seen + n
        taken: list[int] = []  # rows of ``table`` entering the reservoir ...
        slots: list[int] = []  # ... and the slot each takes
        for position in range(start, min(end, self.size)):  # filling
            taken.append(position - start)
            slots.append(position)
            if position == self.size - 1:
                self._next = self.size + self._skip()
        while self.seen + n > self.size and self._next < end:  # Algorithm L's jumps
            taken.append(self._next - start)
            slots.append(int(self._rng.integers(self.size)))
            self._w *= math.exp(math.log(self._rng.random()) / self.size)
            self._next += 1 + self._skip()
        self.seen = end
        if not taken:
            return
        offset = sum(t.num_rows for t in self._tables)
        self._tables.append(table.take(pa.array(taken, type=pa.int64())))
        if len(self._slots) < self.size:
            self._slots = np.concatenate(
                [self._slots, np.full(self.size - len(self._slots), -1, dtype=np.int64)]
            )
        for k, slot in enumerate(slots):
            self._slots[slot] = offset + k
        self._compact()

    def sample(self) -> pa.Table:
        """The rows kept, in the order they arrived (an empty table before any update)."""
        if not self._tables:
            return pa.table({})
        kept = np.sort(self._slots[self._slots >= 0])
        return pa.concat_tables(self._tables).take(pa.array(kept))

    def _skip(self) -> int:
        return math.floor(math.log(self._rng.random()) / math.log1p(-self._w))

    def _compact(self) -> None:
        # Replaced rows stay in the kept tables until the dead ones outweigh the live:
        # then keep only the live rows, so memory stays within twice the sample.
        total = sum(t.num_rows for t in self._tables)
        if total <= 2 * self.size:
            return
        live = np.sort(self._slots[self._slots >= 0])
        merged = pa.concat_tables(self._tables).take(pa.array(live))
        position = np.full(total, -1, dtype=np.int64)
        position[live] = np.arange(len(live))
        self._slots = np.where(self._slots >= 0, position[np.maximum(self._slots, 0)], -1)
        self._tables = [merged]


def _labels(table: pa.Table, column: str) -> npt.NDArray[np.object_]:
    if column not in table.column_names:
        raise DataError(f"no column {column!r} to stratify by; columns: {table.column_names}")
    values = table.column(column)
    if values.null_count:
        row = pc.index(pc.is_null(values), True).as_py()
        raise DataError(f"column {column!r} is empty at row {row}; every row needs a stratum")
    return np.asarray(values.to_pylist(), dtype=object)


def stratified_sample(table: pa.Table, column: str, fraction: float, *, seed: int = 0) -> pa.Table:
    """A ``fraction`` of the rows of every stratum (value of ``column``), kept in table order.

    Each stratum gives ``round(fraction × its size)`` rows, at least one when it has any,
    so rare classes are never dropped from a gold split.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    labels = _labels(table, column)
    rng = np.random.default_rng(seed)
    chosen: list[IntArray] = []
    for value in sorted(set(labels), key=str):
        rows = np.flatnonzero(labels == value)
        take = min(len(rows), max(1, round(fraction * len(rows))))
        chosen.append(rng.choice(rows, size=take, replace=False))
    return table.take(pa.array(np.sort(np.concatenate(chosen))))


def stratified_split(
    table: pa.Table, column: str, fractions: Mapping[str, float], *, seed: int = 0
) -> dict[str, pa.Table]:
    """Split ``table`` into named parts (e.g. ``{"dev": 0.2, "test": 0.8}``) with equal stratum shares.

    Every row goes to exactly one part; within each stratum the parts get sizes
    proportional to ``fractions`` (largest remainders, so they add up exactly).
    """
    if not fractions or any(f <= 0 for f in fractions.values()):
        raise ValueError(f"fractions must be positive, got {dict(fractions)!r}")
    total = sum(fractions.values())
    names = list(fractions)
    labels = _labels(table, column)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[IntArray]] = {name: [] for name in names}
    for value in sorted(set(labels), key=str):
        rows = rng.permutation(np.flatnonzero(labels == value))
        sizes = _apportion(len(rows), [fractions[name] / total for name in names])
        start = 0
        for name, size in zip(names, sizes, strict=True):
            parts[name].append(rows[start : start + size])
            start += size
    return {
        name: table.take(pa.array(np.sort(np.concatenate(chunks)) if chunks else np.empty(0, np.int64)))
        for name, chunks in parts.items()
    }


def _apportion(n: int, shares: Sequence[float]) -> list[int]:
    exact = [n * share for share in shares]
    sizes = [math.floor(x) for x in exact]
    remainders = sorted(range(len(shares)), key=lambda i: exact[i] - sizes[i], reverse=True)
    for i in remainders[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def weighted_sample(
    table: pa.Table, weights: str | Sequence[float] | npt.NDArray[np.float64], n: int, *, seed: int = 0
) -> pa.Table:
    """``n`` distinct rows drawn with probability proportional to ``weights`` (a column or values).

    Efraimidis–Spirakis: each row gets the key ``u ** (1 / w)`` and the ``n`` largest keys
    win — one pass, the same law as drawing rows one by one without replacement. Rows
    of weight 0 are never drawn. Returned in table order.
    """
    w = np.asarray(
        table.column(weights).to_numpy() if isinstance(weights, str) else weights, dtype=np.float64
    )
    if w.shape != (table.num_rows,):
        raise DataError(
            f"need one weight per row: {table.num_rows} rows, {w.shape[0] if w.ndim else 0} weights"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise DataError("weights must be finite and non-negative")
    positive = int(np.sum(w > 0))
    if n > positive:
        raise DataError(f"cannot draw {n} distinct rows: only {positive} have a positive weight")
    rng = np.random.default_rng(seed)
    with np.errstate(divide="ignore"):
        keys = np.where(w > 0, np.log(rng.random(len(w))) / np.where(w > 0, w, 1.0), -np.inf)
    chosen = np.argpartition(-keys, n - 1)[:n] if n else np.empty(0, dtype=np.int64)
    return table.take(pa.array(np.sort(chosen)))
