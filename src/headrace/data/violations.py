"""Checking a table against :class:`~headrace.data.constraints.Constraints`.

Every rule is one vectorized pass of :mod:`pyarrow.compute` over its column; a broken
rule becomes a :class:`Violation` with how many rows break it, their share, and up to
five example rows (their id and value), so a report says what to look at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from headrace.data.constraints import ColumnConstraints, Constraints, Severity, column_type

__all__ = ["Example", "ValidationReport", "Violation", "check_constraints"]

#: Example rows kept per violation.
MAX_EXAMPLES = 5
#: Example texts are cut to this many characters.
MAX_EXAMPLE_CHARS = 120

_COMPATIBLE: dict[str, set[str]] = {
    "string": {"string"},
    "integer": {"integer"},
    "number": {"integer", "number"},
    "boolean": {"boolean"},
    "timestamp": {"timestamp"},
    "date": {"date"},
}


#: What text that a CSV reader would have read as each kind looks like.
_LOOKS_LIKE = {
    "integer": r"^\s*[+-]?\d+\s*$",
    "number": r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(inf|nan)\s*$",
    "boolean": r"(?i)^(true|false|0|1)$",
    "timestamp": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
}


@dataclass(frozen=True)
class Example:
    """One offending row: its position, its id (the position when the table has none), its value."""

    row: int
    id: Any
    value: Any

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "id": self.id, "value": self.value}


@dataclass(frozen=True)
class Violation:
    """A rule a table breaks: where, how badly, and a few rows that show it."""

    column: str
    rule: str
    severity: Severity
    count: int
    rate: float
    message: str
    examples: tuple[Example, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "count": self.count,
            "rate": self.rate,
            "message": self.message,
            "examples": [e.to_dict() for e in self.examples],
        }

    def describe(self) -> str:
        """The message with the first examples, on one line."""
        if not self.examples:
            return self.message
        shown = ", ".join(f"{e.id!r} = {e.value!r}" for e in self.examples[:3])
        return f"{self.message}; e.g. {shown}"


@dataclass(frozen=True)
class ValidationReport:
    """Every violation of one table (a snapshot, a window of traffic) and how much was checked."""

    source: str
    rows: int
    rules: int
    violations: tuple[Violation, ...] = field(default=())

    @property
    def hard(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "hard"]

    @property
    def soft(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "soft"]

    @property
    def ok(self) -> bool:
        """No hard violation (soft ones may remain)."""
        return not self.hard

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "rules": self.rules,
            "hard": len(self.hard),
            "soft": len(self.soft),
            "violations": [v.to_dict() for v in self.violations],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """The report :meth:`to_dict` wrote."""
        return cls(
            source=data["source"],
            rows=data["rows"],
            rules=data["rules"],
            violations=tuple(
                Violation(
                    column=v["column"],
                    rule=v["rule"],
                    severity=v["severity"],
                    count=v["count"],
                    rate=v["rate"],
                    message=v["message"],
                    examples=tuple(Example(e["row"], e["id"], e["value"]) for e in v["examples"]),
                )
                for v in data["violations"]
            ),
        )


def check_constraints(
    table: pa.Table,
    constraints: Constraints,
    *,
    source: str = "data",
    partial: bool = False,
    id_column: str | None = None,
) -> ValidationReport:
    """Check ``table`` against ``constraints``.

    Parameters
    ----------
    table : pyarrow.Table
        The rows to check.
    constraints : Constraints
        The rules.
    source : str
        What the table is, for messages (``"unlabeled"``, ``"traffic of model v3"``).
    partial : bool
        The table holds some columns only, already typed (served traffic: the model's
        inputs, conformed to its schema): absent columns, unlisted columns and types
        are not checked, and value rules skip a column whose type does not fit.
    id_column : str, optional
        Column naming rows in examples; default the constraints' ``id``.

    Examples
    --------
    >>> report = check_constraints(table, load_constraints(path), source="unlabeled")  # doctest: +SKIP
    >>> [v.describe() for v in report.hard]  # doctest: +SKIP
    """
    rows = table.num_rows
    id_name = id_column or constraints.id
    ids = table.column(id_name) if id_name is not None and id_name in table.column_names else None
    found: list[Violation] = []
    rules = 0
    for name, rule in constraints.columns.items():
        if name not in table.column_names:
            if rule.required is not None and not partial:
                rules += 1
                found.append(
                    Violation(
                        name,
                        "required",
                        rule.required.severity,
                        rows,
                        1.0 if rows else 0.0,
                        f"{source}: column {name!r} is missing (required); columns: {table.column_names}",
                    )
                )
            continue
        checked, violations = _check_column(table.column(name), name, rule, ids, source, partial=partial)
        rules += checked
        found += violations
    if constraints.unlisted_columns is not None and not partial:
        for name in table.column_names:
            if name in constraints.columns or name.startswith("__"):
                continue
            found.append(
                Violation(
                    name,
                    "unlisted",
                    constraints.unlisted_columns,
                    rows,
                    1.0 if rows else 0.0,
                    f"{source}: column {name!r} is not in the constraints; list it (or set "
                    "unlisted_columns: null to allow new columns)",
                )
            )
    return ValidationReport(source, rows, rules, tuple(found))


def _check_column(
    column: pa.ChunkedArray,
    name: str,
    rule: ColumnConstraints,
    ids: pa.ChunkedArray | None,
    source: str,
    *,
    partial: bool,
) -> tuple[int, list[Violation]]:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    rows = len(column)
    found: list[Violation] = []
    rules = int(rule.required is not None and not partial)
    actual = column_type(column.type)
    typed = True
    if rule.type is not None and rule.type.expected != "any" and not pa.types.is_null(column.type):
        typed = actual in _COMPATIBLE[rule.type.expected]
        if not partial:
            rules += 1
            if not typed:
                mask, stray = _untyped_rows(column, actual, rule.type.expected)
                expected = rule.type.expected
                message = f"{source}: column {name!r} holds {column.type} values, expected {expected}"
                if stray:
                    message = (
                        f"{source}: column {name!r} was read as text, expected {expected}: "
                        f"{pc.sum(mask).as_py()} value(s) do not look like a {expected}"
                    )
                found.append(_violation(name, "type", rule.type.severity, mask, ids, column, rows, message))
    if rule.nulls is not None:
        rules += 1
        rate = column.null_count / rows if rows else 0.0
        if rate > rule.nulls.max_rate:
            found.append(
                _violation(
                    name,
                    "nulls",
                    rule.nulls.severity,
                    pc.is_null(column),
                    ids,
                    column,
                    rows,
                    f"{source}: column {name!r} is null in {rate:.1%} of rows ({column.null_count}), "
                    f"above max_rate {rule.nulls.max_rate:.1%}",
                )
            )
    if rule.unique is not None:
        rules += 1
        counts = pc.value_counts(column.drop_null())
        repeated = pc.filter(counts, pc.greater(counts.field("counts"), 1))
        if len(repeated):
            mask = pc.is_in(column, value_set=repeated.field("values"))
            found.append(
                _violation(
                    name,
                    "unique",
                    rule.unique.severity,
                    mask,
                    ids,
                    column,
                    rows,
                    f"{source}: {len(repeated)} value(s) of column {name!r} appear more than once "
                    f"({pc.sum(repeated.field('counts')).as_py()} rows)",
                )
            )
    if not typed or pa.types.is_null(column.type):
        return rules, found
    if rule.range is not None and actual in ("integer", "number"):
        rules += 1
        bounds = rule.range
        mask = _outside(column, bounds.min, bounds.max)
        found += _per_row(
            name,
            "range",
            bounds.severity,
            bounds.tolerance,
            mask,
            ids,
            column,
            rows,
            f"{source}: column {name!r} has values outside [{_bound(bounds.min)}, {_bound(bounds.max)}]",
        )
    if rule.categories is not None and actual == "string":
        rules += 1
        allowed = rule.categories
        mask = pc.and_(
            pc.invert(pc.is_in(column, value_set=pa.array(allowed.values, type=column.type))),
            pc.is_valid(column),
        )
        found += _per_row(
            name,
            "categories",
            allowed.severity,
            allowed.tolerance,
            mask,
            ids,
            column,
            rows,
            f"{source}: column {name!r} has values outside its {len(allowed.values)} categories",
        )
    if rule.length is not None and actual == "string":
        rules += 1
        limits = rule.length
        mask = _outside(pc.utf8_length(column), limits.min, limits.max)
        found += _per_row(
            name,
            "length",
            limits.severity,
            limits.tolerance,
            mask,
            ids,
            column,
            rows,
            f"{source}: column {name!r} has texts outside {_bound(limits.min)}..{_bound(limits.max)} "
            "characters",
        )
    return rules, found


def _untyped_rows(column: pa.ChunkedArray, actual: str, expected: str) -> tuple[Any, bool]:
    """The rows that make a column miss its type, and whether they are stray values.

    When text was read where ``expected`` was, the values that do not look like it
    (one stray value turns a whole CSV column into text); else every row.
    """
    valid = pc.is_valid(column)
    if actual == "string" and expected in _LOOKS_LIKE:
        # Empty text is how a CSV reader keeps a missing value in a text column: not a type problem.
        filled = pc.and_(valid, pc.not_equal(pc.utf8_trim_whitespace(column), ""))
        odd = pc.and_(filled, pc.invert(pc.match_substring_regex(column, _LOOKS_LIKE[expected])))
        if pc.any(odd).as_py():
            return odd, True
    return valid, False


def _outside(values: Any, low: float | None, high: float | None) -> Any:
    below = None if low is None else pc.less(values, low)
    above = None if high is None else pc.greater(values, high)
    mask = below if above is None else above if below is None else pc.or_(below, above)
    return pc.fill_null(mask, False)


def _per_row(
    name: str,
    rule: str,
    severity: Severity,
    tolerance: float,
    mask: Any,
    ids: pa.ChunkedArray | None,
    column: pa.ChunkedArray,
    rows: int,
    message: str,
) -> list[Violation]:
    count = int(pc.sum(mask).as_py() or 0)
    checked = rows - column.null_count
    if count == 0 or count <= tolerance * checked:
        return []
    allowed = f", more than the tolerance {tolerance:.1%}" if tolerance else ""
    text = f"{message}: {count} of {checked} rows ({count / max(checked, 1):.1%}){allowed}"
    return [_violation(name, rule, severity, mask, ids, column, rows, text, count=count)]


def _violation(
    name: str,
    rule: str,
    severity: Severity,
    mask: Any,
    ids: pa.ChunkedArray | None,
    column: pa.ChunkedArray,
    rows: int,
    message: str,
    *,
    count: int | None = None,
) -> Violation:
    flags = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)
    if count is None:
        count = int(flags.sum())
    positions = np.flatnonzero(flags)[:MAX_EXAMPLES]
    taken = pa.array(positions, type=pa.int64())
    values = column.take(taken).to_pylist()
    names = ids.take(taken).to_pylist() if ids is not None else positions.tolist()
    examples = tuple(
        Example(int(p), _plain(i), _plain(v))
        for p, i, v in zip(positions.tolist(), names, values, strict=True)
    )
    return Violation(name, rule, severity, count, count / rows if rows else 0.0, message, examples)


def _bound(value: float | None) -> str:
    if value is None:
        return "…"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _plain(value: Any) -> Any:
    """A JSON-ready example value: long texts cut, times as ISO text, NaN as ``None``."""
    if isinstance(value, str):
        return value if len(value) <= MAX_EXAMPLE_CHARS else value[: MAX_EXAMPLE_CHARS - 1] + "…"
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()[:MAX_EXAMPLE_CHARS]
    if value is None or isinstance(value, bool | int):
        return value
    return str(value)
