"""Data constraints: inferred from a first table, written as YAML, and every rule checked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from headrace.data import (
    ColumnConstraints,
    Constraints,
    RangeRule,
    check_constraints,
    infer_constraints,
    load_constraints,
    write_constraints,
)
from headrace.errors import ProjectFileError
from headrace.project import FeaturesConfig

#: A first snapshot: an id, a count, a price, a category, a free text, a timestamp, a flag.
FIRST = pa.table(
    {
        "id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "clicks": [0, 3, 10, 7, 5, 1],
        "price": [1.5, 2.0, 9.5, 4.25, None, 3.0],
        "video": ["psy", "katy", "psy", "katy", "psy", "katy"],
        "content": ["check my channel", "nice song", "love it", "subscribe now!!", "so good", "wow"],
        "posted": pa.array([datetime(2024, 1, d) for d in range(1, 7)], type=pa.timestamp("s")),
        "spam": [True, False, False, True, False, False],
    }
)


def rules() -> Constraints:
    return infer_constraints(FIRST, id_column="id", features=FeaturesConfig(text=["content"]))


def with_column(
    table: pa.Table, name: str, values: list[object], type: pa.DataType | None = None
) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, pa.array(values, type=type))


# -- inference ------------------------------------------------------------------------


def test_inference_keeps_types_hard_and_the_id_unique_and_never_null() -> None:
    columns = rules().columns

    assert {name: c.type.expected for name, c in columns.items() if c.type} == {
        "id": "string",
        "clicks": "integer",
        "price": "number",
        "video": "string",
        "content": "string",
        "posted": "timestamp",
        "spam": "boolean",
    }
    assert all(c.type is not None and c.type.severity == "hard" for c in columns.values())
    assert all(c.required is not None and c.required.severity == "hard" for c in columns.values())
    assert columns["id"].unique is not None and columns["id"].unique.severity == "hard"
    assert columns["id"].nulls is not None and columns["id"].nulls.max_rate == 0
    assert columns["clicks"].unique is None


def test_inferred_ranges_are_widened_and_counts_stay_non_negative() -> None:
    columns = rules().columns

    assert columns["clicks"].range == RangeRule(min=0.0, max=11.0)  # 0..10, widened by 1, floor at 0
    price = columns["price"].range
    assert price is not None and price.min == 0.7 and price.max == 10.3  # 1.5..9.5 ± 0.8
    assert price.severity == "soft"


def test_few_distinct_strings_are_categories_and_text_gets_a_length_range() -> None:
    columns = rules().columns

    assert columns["video"].categories is not None and columns["video"].categories.values == ["katy", "psy"]
    assert columns["content"].categories is None
    assert columns["content"].length is not None
    assert (columns["content"].length.min, columns["content"].length.max) == (1, 24)  # 3..16 chars
    assert columns["posted"].range is None and columns["posted"].length is None  # new data is newer


def test_null_rates_get_slack() -> None:
    columns = rules().columns

    assert columns["price"].nulls is not None and columns["price"].nulls.max_rate == 0.26  # 1/6 × 1.5 + 1%
    assert columns["clicks"].nulls is not None and columns["clicks"].nulls.max_rate == 0.0


def test_the_first_table_passes_its_own_constraints() -> None:
    report = check_constraints(FIRST, rules(), source="first")

    assert report.violations == ()
    assert report.rows == 6 and report.rules > 20


# -- checking -------------------------------------------------------------------------


def test_a_missing_column_is_hard() -> None:
    report = check_constraints(FIRST.drop_columns(["video"]), rules(), source="new.csv")

    (violation,) = report.violations
    assert (violation.column, violation.rule, violation.severity) == ("video", "required", "hard")
    assert "new.csv: column 'video' is missing" in violation.message
    assert not report.ok


def test_a_type_change_is_hard_and_points_at_the_stray_values() -> None:
    table = with_column(FIRST, "clicks", ["0", "3", "ten", "7", "", "1"])

    (violation,) = check_constraints(table, rules(), source="new").violations

    assert (violation.rule, violation.severity, violation.count) == ("type", "hard", 1)
    assert [(e.id, e.value) for e in violation.examples] == [("r3", "ten")]
    assert "read as text, expected integer" in violation.message


def test_a_repeated_id_is_hard_with_every_row_that_repeats() -> None:
    table = with_column(FIRST, "id", ["r1", "r2", "r1", "r4", "r4", "r1"])

    (violation,) = check_constraints(table, rules()).violations

    assert (violation.column, violation.rule, violation.severity) == ("id", "unique", "hard")
    assert violation.count == 5 and violation.rate == pytest.approx(5 / 6)
    assert [e.row for e in violation.examples] == [0, 2, 3, 4, 5]
    assert "2 value(s) of column 'id' appear more than once (5 rows)" in violation.message


def test_too_many_nulls_is_soft_with_the_null_rows_as_examples() -> None:
    table = with_column(FIRST, "price", [None, None, 9.5, None, None, 3.0])

    (violation,) = check_constraints(table, rules()).violations

    assert (violation.rule, violation.severity, violation.count) == ("nulls", "soft", 4)
    assert [e.id for e in violation.examples] == ["r1", "r2", "r4", "r5"]
    assert "null in 66.7% of rows (4), above max_rate 26.0%" in violation.message
    assert check_constraints(table, rules()).ok  # soft: reported, nothing stops


def test_values_out_of_range_are_counted_with_examples() -> None:
    table = with_column(FIRST, "clicks", [0, 3, 50, 7, -2, 1])

    (violation,) = check_constraints(table, rules()).violations

    assert (violation.rule, violation.severity, violation.count) == ("range", "soft", 2)
    assert [(e.id, e.value) for e in violation.examples] == [("r3", 50), ("r5", -2)]
    assert "outside [0, 11]: 2 of 6 rows (33.3%)" in violation.message


def test_an_unseen_category_is_reported() -> None:
    table = with_column(FIRST, "video", ["psy", "katy", "gangnam", "katy", "psy", "psy"])

    (violation,) = check_constraints(table, rules()).violations

    assert (violation.rule, violation.count) == ("categories", 1)
    assert violation.examples[0].value == "gangnam"


def test_texts_too_short_or_too_long_are_reported_and_long_examples_cut() -> None:
    table = with_column(FIRST, "content", ["", "nice song", "x" * 500, "ok ok", "so good", "wow"])

    (violation,) = check_constraints(table, rules()).violations

    assert (violation.rule, violation.count) == ("length", 2)
    assert violation.examples[0].value == ""
    assert len(violation.examples[1].value) == 120 and violation.examples[1].value.endswith("…")


def test_a_tolerance_lets_a_few_rows_break_a_rule() -> None:
    table = with_column(FIRST, "clicks", [0, 3, 50, 7, 5, 1])
    tolerant = rules().model_copy(
        update={
            "columns": {
                **rules().columns,
                "clicks": ColumnConstraints(type="integer", range={"min": 0, "max": 11, "tolerance": 0.2}),
            }
        }
    )

    assert check_constraints(table, tolerant).violations == ()  # 1 of 6 rows is within 20%
    assert (
        len(check_constraints(with_column(table, "clicks", [0, 30, 50, 7, 5, 1]), tolerant).violations) == 1
    )


def test_an_unlisted_column_is_soft_unless_allowed() -> None:
    table = FIRST.append_column("extra", pa.array(range(6)))

    (violation,) = check_constraints(table, rules()).violations
    assert (violation.column, violation.rule, violation.severity) == ("extra", "unlisted", "soft")

    allowing = rules().model_copy(update={"unlisted_columns": None})
    assert check_constraints(table, allowing).violations == ()


def test_a_partial_check_skips_absent_columns_and_types() -> None:
    traffic = pa.table({"request_id": ["q1", "q2"], "content": ["", "fine text"], "clicks": [1.0, 99.0]})

    report = check_constraints(traffic, rules(), source="traffic", partial=True, id_column="request_id")

    assert sorted((v.column, v.rule) for v in report.violations) == [("content", "length")]
    assert report.violations[0].examples[0].id == "q1"


# -- the file -------------------------------------------------------------------------


def test_constraints_round_trip_through_the_yaml_file_with_its_header(tmp_path: Path) -> None:
    path = tmp_path / "constraints.yaml"

    write_constraints(path, rules(), header="inferred from first.csv\nedit freely")

    text = path.read_text()
    assert text.startswith("# inferred from first.csv\n# edit freely\n")
    assert "  video:\n    type: string\n    required: hard\n" in text
    assert load_constraints(path) == rules()
    assert [p.name for p in tmp_path.iterdir()] == ["constraints.yaml"]  # no temporary left behind


def test_shorthands_and_full_forms_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "columns:\n"
        "  a: {type: integer, unique: soft, required: false}\n"
        "  b: {type: {expected: string, severity: soft}, unique: {severity: hard}, required: true}\n"
    )

    columns = load_constraints(path).columns

    assert columns["a"].type is not None and columns["a"].type.severity == "hard"
    assert columns["a"].unique is not None and columns["a"].unique.severity == "soft"
    assert columns["a"].required is None
    assert columns["b"].type is not None and columns["b"].type.severity == "soft"
    assert columns["b"].required is not None and columns["b"].required.severity == "hard"


def test_the_key_changes_with_the_rules_not_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    write_constraints(path, rules(), header="first")
    key = load_constraints(path).key
    path.write_text("# a new comment\n" + path.read_text())
    assert load_constraints(path).key == key

    path.write_text(path.read_text().replace("max_rate: 0.26", "max_rate: 0.5"))
    assert load_constraints(path).key != key


def test_an_invalid_rule_names_the_file_the_key_and_the_value(tmp_path: Path) -> None:
    path = tmp_path / "constraints.yaml"
    path.write_text(
        "columns:\n"
        "  clicks: {type: integr}\n"
        "  price: {range: {min: 5, max: 1}}\n"
        "  video: {nulls: {max_rate: 0.1, severty: soft}}\n"
    )

    with pytest.raises(ProjectFileError) as raised:
        load_constraints(path)

    message = str(raised.value)
    assert message.startswith("constraints.yaml: 3 invalid rule(s)")
    assert "columns.clicks.type.expected: Input should be 'string', 'integer'" in message
    assert "got 'integr'" in message
    assert "columns.price.range: min 5.0 is above max 1.0" in message
    assert "columns.video.nulls.severty: is not a known rule or setting; check the spelling" in message


def test_a_file_that_is_not_a_mapping_says_how_to_start_over(tmp_path: Path) -> None:
    path = tmp_path / "constraints.yaml"
    path.write_text("- just a list\n")

    with pytest.raises(
        ProjectFileError, match=r"a mapping with a 'columns:' key, got list; .*--infer --overwrite"
    ):
        load_constraints(path)
