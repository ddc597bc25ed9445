"""A served model's input schema: JSON rows and Arrow tables checked against it.

Online and batch prediction both turn their input into the same Arrow table (one
column per feature, typed as at training) through this module, so the same row gets
the same prediction either way. Every problem is reported with the row index, the
field, what was expected and what came — the message a client needs to fix its call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from headrace.errors import DataError

__all__ = ["FieldSpec", "InputSchema", "RowProblem", "RowValidationError"]

JsonKind = Literal["string", "integer", "number", "boolean"]

#: Problems listed in one error at most; a client sending 10,000 bad rows needs the
#: first few and the count, not a 10,000-line answer.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class RowProblem:
    """One invalid value: where it is, what was expected, what came."""

    row: int
    field: str
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "problem": self.problem}

    def __str__(self) -> str:
        return f"row {self.row}, field {self.field!r}: {self.problem}"


class RowValidationError(DataError):
    """Input rows do not match the model's input schema (HTTP 422)."""

    def __init__(self, problems: Sequence[RowProblem], total: int) -> None:
        self.problems = list(problems)
        self.total = total
        more = f" (and {total - len(problems)} more)" if total > len(problems) else ""
        super().__init__("; ".join(str(p) for p in problems) + more)


@dataclass(frozen=True)
class FieldSpec:
    """One input column: its name, the Arrow type it is built as, and the JSON kind it accepts."""

    name: str
    arrow_type: pa.DataType
    kind: JsonKind

    @classmethod
    def from_type_name(cls, name: str, type_name: str) -> FieldSpec:
        """The spec for a column recorded in a model package as ``type_name`` (``str(arrow type)``)."""
        arrow_type = _parse_type(type_name)
        if pa.types.is_boolean(arrow_type):
            return cls(name, arrow_type, "boolean")
        if pa.types.is_integer(arrow_type):
            return cls(name, pa.int64(), "integer")
        if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
            return cls(name, pa.float64(), "number")
        # Strings, dictionary-encoded categories, and anything else (dates, …) travel
        # as strings, which is what the fitted pipeline reads them as.
        return cls(name, pa.string(), "string")

    def check(self, value: Any) -> str | None:
        """``None`` when ``value`` is acceptable (JSON ``null`` always is: a missing value), else why not."""
        if value is None:
            return None
        ok: bool
        if self.kind == "string":
            ok = isinstance(value, str)
        elif self.kind == "boolean":
            ok = isinstance(value, bool)
        elif self.kind == "integer":
            ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok:
            return None
        return f"expected {self.kind} or null, got {_describe(value)}"


class InputSchema:
    """The columns a model reads, in order, with their types.

    Parameters
    ----------
    columns : mapping of str to str
        Column name → Arrow type name, as recorded in the model package
        (:attr:`headrace.registry.ModelPackage.input_schema`).
    """

    def __init__(self, columns: Mapping[str, str]) -> None:
        if not columns:
            raise DataError("a model's input schema must name at least one column")
        self.fields = [FieldSpec.from_type_name(name, type_name) for name, type_name in columns.items()]
        self._by_name = {spec.name: spec for spec in self.fields}
        self.arrow_schema = pa.schema([pa.field(spec.name, spec.arrow_type) for spec in self.fields])

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    def rows_to_table(self, rows: Sequence[Any]) -> pa.Table:
        """Check JSON rows (objects) and build the typed Arrow table of them.

        Every field must be present (``null`` for a missing value); unknown fields are
        refused, so a misspelled name is an error rather than a silently null feature.

        Raises
        ------
        RowValidationError
            Listing the first :data:`MAX_PROBLEMS` problems by row and field.
        """
        problems: list[RowProblem] = []
        total = 0
        names = self.names
        expected = set(names)
        columns: dict[str, list[Any]] = {name: [] for name in names}
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                total += 1
                if len(problems) < MAX_PROBLEMS:
                    problems.append(RowProblem(index, "*", f"expected an object, got {_describe(row)}"))
                continue
            if row.keys() != expected:
                for name in names:
                    if name not in row:
                        total += 1
                        if len(problems) < MAX_PROBLEMS:
                            kind = self._by_name[name].kind
                            problems.append(
                                RowProblem(index, name, f"missing (expected {kind}; send null if unknown)")
                            )
                for name in row:
                    if name not in expected:
                        total += 1
                        if len(problems) < MAX_PROBLEMS:
                            problems.append(
                                RowProblem(index, str(name), f"unknown field; the model reads {names}")
                            )
            for spec in self.fields:
                value = row.get(spec.name)
                problem = spec.check(value)
                if problem is not None:
                    total += 1
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(RowProblem(index, spec.name, problem))
                columns[spec.name].append(value)
        if total:
            raise RowValidationError(problems, total)
        return pa.table(
            [pa.array(columns[spec.name], type=spec.arrow_type) for spec in self.fields],
            schema=self.arrow_schema,
        )

    def conform(self, table: pa.Table, *, source: str = "input") -> pa.Table:
        """Select the model's columns of ``table`` and cast them to the schema's types.

        Used by batch prediction, whose files may hold other columns too (an id, …).

        Raises
        ------
        DataError
            A column is missing, or its values cannot be cast (the message names the
            column, both types and ``source``).
        """
        missing = [name for name in self.names if name not in table.column_names]
        if missing:
            raise DataError(
                f"{source} lacks the model's input column(s) {missing}; it has {table.column_names}"
            )
        arrays = []
        for spec in self.fields:
            column = table.column(spec.name)
            if column.type == spec.arrow_type:
                arrays.append(column)
                continue
            try:
                arrays.append(_cast(column, spec))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataError(
                    f"{source}: column {spec.name!r} is {column.type} and cannot be read as the model's "
                    f"{spec.kind} ({spec.arrow_type}): {exc}"
                ) from exc
        return pa.Table.from_arrays(arrays, schema=self.arrow_schema)

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema of one row (for ``/v1/model`` and the OpenAPI document)."""
        return {
            "type": "object",
            "properties": {spec.name: {"type": [spec.kind, "null"]} for spec in self.fields},
            "required": self.names,
            "additionalProperties": False,
        }

    def to_dict(self) -> dict[str, str]:
        """Column → JSON kind."""
        return {spec.name: spec.kind for spec in self.fields}


def _cast(column: pa.ChunkedArray, spec: FieldSpec) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if spec.kind == "integer" and pa.types.is_floating(column.type):
        # Parquet/CSV readers make a float column of an int one with nulls; a safe cast
        # keeps whole numbers and refuses 2.5 rather than truncating it.
        return pc.cast(column, spec.arrow_type, safe=True)
    return column.cast(spec.arrow_type)


def _parse_type(type_name: str) -> pa.DataType:
    simple = {
        "string": pa.string(),
        "large_string": pa.large_string(),
        "string_view": pa.string(),
        "bool": pa.bool_(),
        "double": pa.float64(),
        "float": pa.float32(),
        "halffloat": pa.float16(),
    }
    if type_name in simple:
        return simple[type_name]
    if type_name.startswith(("int", "uint")):
        try:
            return pa.type_for_alias(type_name)
        except ValueError:
            pass
    if type_name.startswith("decimal"):
        return pa.float64()
    if type_name.startswith("dictionary<values=string"):
        return pa.string()
    return pa.string()


def _describe(value: Any) -> str:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    kind = kinds.get(type(value), type(value).__name__)
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{kind} {text}"
