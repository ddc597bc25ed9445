"""Batch prediction: stream CSV or Parquet files through a served model into one Parquet file.

:func:`predict_files` streams its input as Arrow record batches, conforms each to the
model's :class:`~headrace.serve.InputSchema`, predicts it with
:meth:`~headrace.serve.ServedModel.predict` — the call online serving makes, so a row
gets the answer it gets over HTTP — and appends the answers to one Parquet file, in
input order::

    files ──read──▶ batches of batch_rows ──Engine.map_partitions──▶ predictions ──▶ Parquet
          (Arrow's threads)      (a window of batches at a time)      (in input order)

Memory is bounded by the batch size times the batches in flight (a window being
predicted, the next one read, the previous one written) and by a Parquet file's row
group, not by the input's size. Reading, predicting and writing overlap: the engine is
driven from one helper thread while this thread reads and writes, and both Arrow's
reader and writer release the GIL.

The output goes to a hidden temporary file next to ``output`` and is renamed at the
end, so a failed run leaves no partial file and an existing ``output`` is only ever
replaced by a complete one.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
import uuid
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from headrace.engines import Engine, LocalEngine
from headrace.errors import DataError, EngineError, HeadraceError
from headrace.serve.batch_input import Part, Source, open_source, read_parts, resolve_inputs
from headrace.serve.predictor import ServedModel, probability_column

__all__ = ["DEFAULT_BATCH_ROWS", "BatchPredictionResult", "BatchProgress", "predict_files"]

#: Rows per model call. Measured with ``benchmarks/batch_prediction.py`` (20 float
#: columns, logistic regression, 2 cores): at 16Ki rows the per-call cost of pandas and
#: scikit-learn takes a third of the speed; 128Ki gains 10–15% over 64Ki for 40–80 MB
#: more peak memory, which grows with the batch (and the row width), not the input.
DEFAULT_BATCH_ROWS = 65_536

_OUTPUT_SUFFIXES = (".parquet", ".pq")


class BatchProgress(Protocol):
    """Receives progress as rows are predicted (the CLI draws a bar; the API shows nothing)."""

    def started(self, total_rows: int | None) -> None:
        """Prediction starts; ``total_rows`` is known for Parquet input, ``None`` for CSV."""
        ...

    def advanced(self, rows: int) -> None:
        """``rows`` more rows have been written."""
        ...


@dataclass(frozen=True)
class BatchPredictionResult:
    """What :func:`predict_files` did: rows, files, time, model and the output's columns.

    ``columns`` are all the output's columns; ``kept_columns`` those copied from the input.
    """

    output: Path
    rows: int
    files: tuple[Path, ...]
    seconds: float
    batches: int
    engine: str
    model_ref: str
    model_version: int | None
    model_id: str
    columns: tuple[str, ...]
    kept_columns: tuple[str, ...]

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "output": str(self.output),
            "rows": self.rows,
            "files": [str(path) for path in self.files],
            "seconds": round(self.seconds, 4),
            "rows_per_second": round(self.rows_per_second, 1),
            "batches": self.batches,
            "engine": self.engine,
            "model": {"ref": self.model_ref, "version": self.model_version, "model_id": self.model_id},
            "columns": list(self.columns),
            "kept_columns": list(self.kept_columns),
        }


def predict_files(
    model: ServedModel,
    inputs: str | Path | Sequence[str | Path],
    output: str | Path,
    *,
    engine: Engine | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    keep_columns: Sequence[str] = (),
    id_column: str | None = None,
    overwrite: bool = False,
    batches_in_flight: int | None = None,
    progress: BatchProgress | None = None,
) -> BatchPredictionResult:
    """Predict every row of CSV or Parquet files and write the answers to one Parquet file.

    Output columns: ``id_column`` (when every input file has it), then ``keep_columns``
    as read, then ``label`` and one ``probability_<class>`` per class — one row per
    input row, in input order (files in the order given, globs sorted). Each batch is
    conformed to the model's input schema and predicted by ``model.predict``, the call
    online serving makes, so labels and probabilities are those online serving gives
    the same rows. (A probability's last bit may depend on how many rows share a model
    call, because BLAS picks its kernels by size; that holds online too.)

    CSV is parsed as ``headrace run`` ingests it, except that the model's input columns
    are read as the model's types, so a text column of digits stays text.

    Parameters
    ----------
    model : ServedModel
        The model, e.g. from :func:`~headrace.serve.load_served_model`.
    inputs : path, glob, or a sequence of them
        CSV or Parquet files (one format per run).
    output : path
        The Parquet file to write (``.parquet`` or ``.pq``); its folder must exist.
    engine : Engine, optional
        Where the model runs (default: in this process). Other engines get windows of
        ``batches_in_flight`` batches through :meth:`~headrace.engines.Engine.map_partitions`.
    batch_rows : int
        Rows per model call.
    keep_columns : sequence of str
        Input columns copied to the output (each file must have them).
    id_column : str, optional
        Copied first when every input file has it (the project's ``data.id``).
    overwrite : bool
        Replace an existing ``output`` (only once the new one is complete).
    batches_in_flight : int, optional
        Batches per engine call: 1 for the local engine, else twice the engine's
        workers (or CPUs), so that every worker has one and the next waits.
    progress : BatchProgress, optional
        Told the total (when known) and each written batch.

    Returns
    -------
    BatchPredictionResult

    Raises
    ------
    DataError
        No or unreadable input; a file lacks a model input or a kept column, or holds
        a value the model's type cannot take (the message names file and column); the
        model fails on a batch (the message names the rows); the output is not a
        ``.parquet`` file, its folder is missing, or it exists without ``overwrite``.

    Examples
    --------
    >>> model = load_served_model(store, "production")  # doctest: +SKIP
    >>> predict_files(model, "new/*.parquet", "scored.parquet", id_column="comment_id").rows  # doctest: +SKIP
    120000
    """
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be a positive integer, got {batch_rows}")
    if batches_in_flight is not None and batches_in_flight < 1:
        raise ValueError(f"batches_in_flight must be a positive integer, got {batches_in_flight}")
    start = time.perf_counter()
    files, kind = resolve_inputs(inputs)
    output = Path(output)
    _check_output(output, files, overwrite=overwrite)
    sources = [open_source(path, kind, model.schema) for path in files]
    keep = _kept_columns(sources, keep_columns, id_column, _predicted_columns(model))
    # Typed as in the first file; nullable, since another file may have nulls there.
    kept_fields = [pa.field(name, sources[0].schema.field(name).type) for name in keep]
    schema = _output_schema(model, kept_fields)
    engine = engine or LocalEngine()
    window = batches_in_flight or _default_in_flight(engine)

    if progress is not None:
        total = sum(s.rows for s in sources if s.rows is not None) if kind == "parquet" else None
        progress.started(total)
    parts = read_parts(sources, kept_fields, model.schema, batch_rows)
    temp = output.with_name(f".{output.name}.{uuid.uuid4().hex}.tmp")
    rows = batches = 0
    try:
        writer = _open_writer(temp, schema, output)
        try:
            predicted = _predicted(parts, _PredictBatch(model), engine, window, len(keep))
            with contextlib.closing(predicted):
                for part, predictions in predicted:
                    kept = part.table.columns[: len(keep)]
                    _write(writer, pa.Table.from_arrays([*kept, *predictions.columns], schema=schema), output)
                    rows += part.table.num_rows
                    batches += 1
                    if progress is not None:
                        progress.advanced(part.table.num_rows)
        finally:
            writer.close()
        if output.exists() and not overwrite:
            raise DataError(f"{output} appeared while predicting; pass overwrite=True to replace it")
        os.replace(temp, output)
    finally:
        temp.unlink(missing_ok=True)
    return BatchPredictionResult(
        output=output,
        rows=rows,
        files=tuple(files),
        seconds=time.perf_counter() - start,
        batches=batches,
        engine=engine.name,
        model_ref=model.ref,
        model_version=model.version_number,
        model_id=model.model_id,
        columns=tuple(schema.names),
        kept_columns=tuple(keep),
    )


@dataclass(frozen=True)
class _PredictBatch:
    """The function engines run: one model call on a conformed table → the prediction table.

    A plain picklable object holding the model, so the processes and dask engines can
    ship it to their workers.
    """

    model: ServedModel

    def __call__(self, features: pa.Table) -> pa.Table:
        try:
            with _one_blas_thread():
                return self.model.predict(features).to_table()
        except HeadraceError:
            raise
        except Exception as exc:  # the model's own failure, e.g. a null into a model without imputer
            raise DataError(f"the model could not predict them: {type(exc).__name__}: {exc}") from exc


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread (in this process) for the duration of a model call.

    Batch prediction's parallelism is its own: the reader and writer beside the model
    call, and the engine's workers. The model families' products are tall and thin
    (rows × features times a weight vector), where BLAS threads gain nothing, yet
    OpenBLAS's idle threads spin and took 30% of the CPU (20 columns, logistic
    regression, 2 cores) that the reader and writer need. One thread or several
    compute each row's product alike, so the answers do not change.
    """
    limit: contextlib.AbstractContextManager[Any] = _thread_pools().limit(limits=1, user_api="blas")
    return limit


@functools.cache
def _thread_pools() -> Any:
    """The process's native thread pools, found once (finding them takes a millisecond)."""
    # A scikit-learn dependency; imported here to keep ``import headrace.serve`` light.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _check_output(output: Path, files: list[Path], *, overwrite: bool) -> None:
    if output.suffix.lower() not in _OUTPUT_SUFFIXES:
        raise DataError(f"output {output} must be a .parquet file: batch prediction writes Parquet")
    if not output.parent.is_dir():
        raise DataError(f"output folder {output.parent} does not exist; create it first")
    if output.is_dir():
        raise DataError(f"output {output} is a folder; name a .parquet file")
    if output.exists() and not overwrite:
        raise DataError(f"output {output} exists; pass overwrite=True (--overwrite) to replace it")
    target = output.resolve()
    if any(path.resolve() == target for path in files):
        raise DataError(f"output {output} is also an input; write the predictions to another file")


def _kept_columns(
    sources: list[Source], keep_columns: Sequence[str], id_column: str | None, predicted: list[str]
) -> list[str]:
    keep = list(keep_columns)
    if id_column is not None and all(id_column in s.schema.names for s in sources):
        keep.insert(0, id_column)
    keep = list(dict.fromkeys(keep))
    clash = [name for name in keep if name in predicted]
    if clash:
        raise DataError(f"kept column(s) {clash} would clash with the prediction's columns {predicted}")
    for source in sources:
        missing = [name for name in keep if name not in source.schema.names]
        if missing:
            raise DataError(
                f"{source.path} lacks the column(s) {missing} to keep; it has {source.schema.names}"
            )
    return keep


def _predicted_columns(model: ServedModel) -> list[str]:
    return ["label", *(probability_column(name) for name in model.package.classes)]


def _output_schema(model: ServedModel, kept: list[pa.Field]) -> pa.Schema:
    classes = list(model.package.classes)
    fields = list(kept)
    fields.append(pa.field("label", pa.string()))
    fields.extend(pa.field(probability_column(name), pa.float64()) for name in classes)
    provenance = {"model_ref": model.ref, "model_version": model.version_number, "model_id": model.model_id}
    return pa.schema(fields, metadata={"headrace": json.dumps({**provenance, "classes": classes})})


def _predicted(
    parts: Iterator[Part], predict: _PredictBatch, engine: Engine, window: int, kept: int
) -> Generator[tuple[Part, pa.Table], None, None]:
    """Each part with its predictions, in order, one window ahead.

    The engine works on window ``k`` in a helper thread while the caller writes
    window ``k - 1`` and this generator reads window ``k + 1``.
    """

    def run(batch: list[Part]) -> list[pa.Table]:
        features = [
            pa.Table.from_arrays(p.table.columns[kept:], schema=predict.model.schema.arrow_schema)
            for p in batch
        ]
        files = ", ".join(dict.fromkeys(str(path) for p in batch for path in p.files))
        last = batch[-1].first_row + batch[-1].table.num_rows - 1
        where = f"input rows {batch[0].first_row:,}–{last:,} (from 0; {files})"
        try:
            return engine.map_partitions(predict, features)
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from exc
        except HeadraceError:
            raise
        except Exception as exc:  # not the model (that is a DataError): the engine itself
            raise EngineError(
                f"the {engine.name} engine failed on {where}: {type(exc).__name__}: {exc}"
            ) from exc

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="headrace-predict") as compute:
        pending: tuple[list[Part], Future[list[pa.Table]]] | None = None
        try:
            for batch in _windows(parts, window):
                future = compute.submit(run, batch)
                if pending is not None:
                    yield from zip(pending[0], pending[1].result(), strict=True)
                pending = (batch, future)
            if pending is not None:
                yield from zip(pending[0], pending[1].result(), strict=True)
        finally:
            compute.shutdown(wait=True, cancel_futures=True)


def _windows(parts: Iterator[Part], size: int) -> Iterator[list[Part]]:
    window: list[Part] = []
    for part in parts:
        window.append(part)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


def _default_in_flight(engine: Engine) -> int:
    if engine.name == "local":
        return 1
    # Engines that know their worker count say so in ``workers`` (processes, dask).
    workers = getattr(engine, "workers", None) or os.cpu_count() or 1
    return 2 * int(workers)


def _open_writer(temp: Path, schema: pa.Schema, output: Path) -> pq.ParquetWriter:
    try:
        # Dictionary encoding pays only for the label (a few distinct strings); on
        # probabilities and ids it is work the writer throws away.
        return pq.ParquetWriter(temp, schema, compression="snappy", use_dictionary=["label"])
    except OSError as exc:
        raise DataError(f"cannot write {output}: {exc}") from exc


def _write(writer: pq.ParquetWriter, table: pa.Table, output: Path) -> None:
    try:
        writer.write_table(table)
    except OSError as exc:
        raise DataError(f"cannot write {output}: {exc}") from exc
