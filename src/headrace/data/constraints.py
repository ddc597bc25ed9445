"""Data constraints: what every snapshot and every served row must look like.

A :class:`Constraints` lists, per column, rules of a few kinds, each with a severity.
A *hard* violation stops ``headrace run`` (and is a breach for ``headrace monitor``);
a *soft* one is reported and nothing stops::

    rule        breaks when                                             default
    required    the column is absent                                    hard
    type        the column's Arrow type is not of the expected kind     hard
    unique      a value appears more than once (the id column)          hard
    nulls       the share of null values is above ``max_rate``          soft
    range       a number is below ``min`` or above ``max``              soft
    categories  a value is not one of ``values``                        soft
    length      a text has fewer than ``min`` or more than ``max`` chars soft

Per-row rules (range, categories, length) take a ``tolerance``: the share of the
checked rows that may break the rule before it counts (default 0: any row does).

:func:`infer_constraints` proposes constraints from a first snapshot, with slack so
fresh data of the same kind passes; :func:`write_constraints` writes them as YAML the
user edits (``validation.constraints`` of the project file names the file), and
:func:`load_constraints` reads them back. Checking lives in
:mod:`headrace.data.violations`.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from headrace.errors import ProjectFileError
from headrace.project.config import FeaturesConfig
from headrace.project.loader import Project
from headrace.store import hash_json

__all__ = [
    "CategoryRule",
    "ColumnConstraints",
    "ColumnType",
    "Constraints",
    "LengthRule",
    "NullRule",
    "PresenceRule",
    "RangeRule",
    "Severity",
    "TypeRule",
    "column_type",
    "infer_constraints",
    "load_constraints",
    "project_constraints",
    "write_constraints",
]

Severity = Literal["hard", "soft"]
#: The kinds of column a type rule tells apart; ``any`` checks nothing (a column that
#: was entirely null when the constraints were inferred).
ColumnType = Literal["string", "integer", "number", "boolean", "timestamp", "date", "any"]

#: A string column with at most this many distinct values (and each seen at least
#: twice on average) is a category column: its values are listed.
MAX_CATEGORIES = 50
#: Strings averaging more characters than this are free text, never categories
#: (the same cut :func:`headrace.data.infer_features` makes).
TEXT_MIN_MEAN_LENGTH = 30
#: Inferred numeric ranges are widened by this share of the observed span on each side.
RANGE_SLACK = 0.1


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PresenceRule(_Rule):
    """``required`` (the column exists) or ``unique`` (no value repeats)."""

    severity: Severity = "hard"


class TypeRule(_Rule):
    """The column's values are of one kind (any integer width is ``integer``, …)."""

    expected: ColumnType
    severity: Severity = "hard"


class NullRule(_Rule):
    """At most ``max_rate`` of the rows are null."""

    max_rate: float = Field(ge=0, le=1)
    severity: Severity = "soft"


class RangeRule(_Rule):
    """Numbers lie in ``[min, max]`` (either bound may be left out)."""

    min: float | None = None
    max: float | None = None
    tolerance: float = Field(default=0.0, ge=0, le=1)
    severity: Severity = "soft"

    @model_validator(mode="after")
    def _bounds(self) -> RangeRule:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class CategoryRule(_Rule):
    """Values are among ``values``."""

    values: list[str] = Field(min_length=1)
    tolerance: float = Field(default=0.0, ge=0, le=1)
    severity: Severity = "soft"


class LengthRule(_Rule):
    """Texts have between ``min`` and ``max`` characters."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    tolerance: float = Field(default=0.0, ge=0, le=1)
    severity: Severity = "soft"

    @model_validator(mode="after")
    def _bounds(self) -> LengthRule:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


def _presence(value: Any) -> Any:
    # Shorthands: `required: true`, `unique: soft`, `required: false` (no rule).
    if value is True:
        return {}
    if value is False:
        return None
    if value in ("hard", "soft"):
        return {"severity": value}
    return value


class ColumnConstraints(_Rule):
    """Every rule of one column; a rule left out is not checked."""

    type: TypeRule | None = None
    required: PresenceRule | None = Field(default_factory=PresenceRule)
    unique: PresenceRule | None = None
    nulls: NullRule | None = None
    range: RangeRule | None = None
    categories: CategoryRule | None = None
    length: LengthRule | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type_shorthand(cls, value: Any) -> Any:
        return {"expected": value} if isinstance(value, str) else value

    @field_validator("required", "unique", mode="before")
    @classmethod
    def _presence_shorthand(cls, value: Any) -> Any:
        return _presence(value)


class Constraints(_Rule):
    """The constraints of a project's data: one entry per column, and what to make of others."""

    id: str | None = Field(default=None, description="column naming each row in examples")
    unlisted_columns: Severity | None = Field(
        default="soft", description="a column the file does not list: a violation of this severity, or null"
    )
    columns: dict[str, ColumnConstraints] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """Content hash of the rules (comments and layout of the file do not count)."""
        return hash_json(self.model_dump(mode="json"))

    def to_yaml_dict(self) -> dict[str, Any]:
        """The rules as the YAML file writes them: shorthands where a rule has its default form."""
        columns: dict[str, Any] = {}
        for name, column in self.columns.items():
            entry: dict[str, Any] = {}
            if column.type is not None:
                entry["type"] = (
                    column.type.expected
                    if column.type.severity == "hard"
                    else column.type.model_dump(mode="json")
                )
            entry["required"] = False if column.required is None else column.required.severity
            if column.unique is not None:
                entry["unique"] = column.unique.severity
            for rule in ("nulls", "range", "categories", "length"):
                value = getattr(column, rule)
                if value is not None:
                    dumped = value.model_dump(mode="json", exclude_none=True)
                    if not dumped.get("tolerance"):
                        dumped.pop("tolerance", None)
                    entry[rule] = dumped
            columns[name] = entry
        return {"id": self.id, "unlisted_columns": self.unlisted_columns, "columns": columns}


# -- inference ---------------------------------------------------------------------


def column_type(data_type: pa.DataType) -> ColumnType:
    """The kind of an Arrow type, as type rules name it."""
    if pa.types.is_dictionary(data_type):
        return column_type(data_type.value_type)
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_integer(data_type):
        return "integer"
    if pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return "number"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_date(data_type):
        return "date"
    return "any"


def infer_constraints(
    table: pa.Table, *, id_column: str | None, features: FeaturesConfig | None = None
) -> Constraints:
    """Propose constraints that ``table`` passes, with slack for fresh data of the same kind.

    Every column is required and keeps its type (hard); the id column is also unique
    and never null (hard). Numbers get a range widened by 10% of the observed span
    (never below 0 for a column that had no negative value); short strings with few
    distinct values get their categories; other strings a length range (half the
    shortest to 1.5 times the longest); every column a null rate 1.5 times the
    observed one plus a point. Timestamps and dates get no range: new data is newer.
    ``features`` (the project's ``train.features``) says which strings are text.

    Examples
    --------
    >>> table = pa.table({"id": ["a", "b", "c", "d"], "n": [1, 2, 3, 4], "kind": ["x", "y", "x", "y"]})
    >>> rules = infer_constraints(table, id_column="id")
    >>> rules.columns["n"].range.min, rules.columns["n"].range.max
    (0.0, 5.0)
    >>> rules.columns["kind"].categories.values
    ['x', 'y']
    """
    text = set() if features is None else set(features.text)
    categorical = set() if features is None else set(features.categorical)
    columns: dict[str, ColumnConstraints] = {}
    rows = table.num_rows
    for field in table.schema:
        name = field.name
        if name.startswith("__"):
            continue
        column = table.column(name)
        kind = column_type(field.type)
        rule: dict[str, Any] = {"required": PresenceRule()}
        if kind != "any":
            rule["type"] = TypeRule(expected=kind)
        rate = column.null_count / rows if rows else 0.0
        if name == id_column:
            rule["unique"] = PresenceRule()
            rule["nulls"] = NullRule(max_rate=0.0, severity="hard")
            columns[name] = ColumnConstraints(**rule)
            continue
        rule["nulls"] = NullRule(max_rate=_slack_rate(rate))
        values = column.drop_null()
        if len(values) and kind in ("integer", "number"):
            rule["range"] = _range(values, integer=kind == "integer")
        elif len(values) and kind == "string":
            if _is_categorical(values, named_text=name in text, named_category=name in categorical):
                categories = sorted(str(v) for v in pc.unique(values).to_pylist())
                rule["categories"] = CategoryRule(values=categories)
            else:
                lengths = pc.utf8_length(values)
                low, high = pc.min(lengths).as_py(), pc.max(lengths).as_py()
                rule["length"] = LengthRule(min=low // 2, max=math.ceil(high * 1.5))
        columns[name] = ColumnConstraints(**rule)
    return Constraints(id=id_column, columns=columns)


def _slack_rate(rate: float) -> float:
    if rate == 0:
        return 0.0
    return min(1.0, math.ceil((1.5 * rate + 0.01) * 1000) / 1000)


def _range(values: pa.ChunkedArray, *, integer: bool) -> RangeRule:
    low, high = (float(v) for v in (pc.min(values).as_py(), pc.max(values).as_py()))
    span = high - low
    pad = RANGE_SLACK * span if span > 0 else max(abs(low) * RANGE_SLACK, 1.0)
    bottom = low - pad
    if low >= 0:
        bottom = max(bottom, 0.0)  # a count or an amount stays non-negative
    top = high + pad
    if integer:
        return RangeRule(min=float(math.floor(bottom)), max=float(math.ceil(top)))
    return RangeRule(min=_round(bottom, math.floor), max=_round(top, math.ceil))


def _round(value: float, direction: Any) -> float:
    # Six significant digits, rounded outwards so the bound still admits the data.
    if value == 0 or not math.isfinite(value):
        return value
    scale = 10.0 ** (5 - math.floor(math.log10(abs(value))))
    return float(direction(value * scale) / scale)


def _is_categorical(values: pa.ChunkedArray, *, named_text: bool, named_category: bool) -> bool:
    if named_text:
        return False
    distinct = len(pc.unique(values))
    if named_category:
        return distinct <= MAX_CATEGORIES
    mean_length = pc.mean(pc.utf8_length(values)).as_py() or 0.0
    return mean_length <= TEXT_MIN_MEAN_LENGTH and distinct <= MAX_CATEGORIES and 2 * distinct <= len(values)


# -- the YAML file -------------------------------------------------------------------


def load_constraints(path: Path) -> Constraints:
    """Read a constraints file.

    Raises
    ------
    ProjectFileError
        The file is unreadable, not YAML, or a rule is invalid; the message names the
        file, the key path, the bad value and what is allowed.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(f"{path}: cannot read the constraints file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ProjectFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ProjectFileError(
            f"{path}: a constraints file is a mapping with a 'columns:' key, got {type(raw).__name__}; "
            "`headrace validate --infer --overwrite` writes a fresh one"
        )
    try:
        return Constraints.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path.name}: {exc.error_count()} invalid rule(s)"]
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "is not a known rule or setting; check the spelling"
            lines.append(f"  {where}: {message}; got {error['input']!r}")
        raise ProjectFileError("\n".join(lines)) from exc


def write_constraints(path: Path, constraints: Constraints, *, header: str = "") -> None:
    """Write ``constraints`` as YAML (``header`` as ``#`` comment lines first), atomically.

    The file appears whole or not at all: it is written under a temporary name in the
    same folder, synced, and renamed over ``path``.
    """
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    body = yaml.safe_dump(
        constraints.to_yaml_dict(), sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(comments + body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def require_constraints(project: Project) -> Constraints:
    """The project's constraints, which must exist (to check data or traffic on demand).

    Raises
    ------
    ProjectFileError
        No constraints file yet, or it does not load.
    """
    path = project.path(project.config.validation.constraints)
    if not path.is_file():
        raise ProjectFileError(
            f"{path}: no constraints file yet (validation.constraints); write one with "
            "`headrace validate --infer`, or run `headrace run`, which infers it from the first snapshot"
        )
    return load_constraints(path)


def project_constraints(project: Project) -> Constraints | None:
    """The project's constraints; ``None`` when validation is off or the file does not exist yet."""
    settings = project.config.validation
    if not settings.enabled:
        return None
    path = project.path(settings.constraints)
    return load_constraints(path) if path.is_file() else None
