"""InputSchema: JSON rows and Arrow tables checked against a model's input columns."""

from __future__ import annotations

import pyarrow as pa
import pytest

from headrace.errors import DataError
from headrace.serve import InputSchema, RowValidationError

SCHEMA = InputSchema(
    {
        "text": "string",
        "count": "int64",
        "score": "double",
        "flag": "bool",
        "color": "dictionary<values=string, indices=int32, ordered=0>",
    }
)
GOOD = {"text": "hi", "count": 3, "score": 0.5, "flag": True, "color": "red"}


def test_rows_become_a_typed_table_with_nulls_for_missing_values() -> None:
    table = SCHEMA.rows_to_table([GOOD, dict.fromkeys(GOOD)])

    assert table.schema == pa.schema(
        [
            ("text", pa.string()),
            ("count", pa.int64()),
            ("score", pa.float64()),
            ("flag", pa.bool_()),
            ("color", pa.string()),
        ]
    )
    assert table.to_pylist() == [GOOD, dict.fromkeys(GOOD)]


def test_a_number_field_takes_integers_but_an_integer_field_refuses_fractions() -> None:
    assert SCHEMA.rows_to_table([{**GOOD, "score": 2}]).column("score").to_pylist() == [2.0]
    with pytest.raises(
        RowValidationError, match=r"row 0, field 'count': expected integer or null, got number 2.5"
    ):
        SCHEMA.rows_to_table([{**GOOD, "count": 2.5}])


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        ({**GOOD, "text": 5}, "text", "expected string or null, got integer 5"),
        ({**GOOD, "count": True}, "count", "expected integer or null, got boolean True"),
        ({**GOOD, "flag": "yes"}, "flag", "expected boolean or null, got string 'yes'"),
        ({**GOOD, "score": [1]}, "score", "expected number or null, got array [1]"),
        (
            {k: v for k, v in GOOD.items() if k != "count"},
            "count",
            "missing (expected integer; send null if unknown)",
        ),
        ({**GOOD, "colour": "red"}, "colour", "unknown field"),
        ("not an object", "*", "expected an object, got string"),
    ],
)
def test_each_problem_names_the_row_the_field_and_what_was_expected(
    row: object, field: str, problem: str
) -> None:
    with pytest.raises(RowValidationError) as caught:
        SCHEMA.rows_to_table([GOOD, row])

    [reported] = caught.value.problems
    assert (reported.row, reported.field) == (1, field)
    assert problem in reported.problem


def test_many_problems_are_counted_but_only_the_first_listed() -> None:
    with pytest.raises(RowValidationError) as caught:
        SCHEMA.rows_to_table([{**GOOD, "text": 1}] * 100)

    assert caught.value.total == 100
    assert len(caught.value.problems) == 20
    assert "(and 80 more)" in str(caught.value)


def test_conform_selects_and_casts_the_model_columns_of_a_file() -> None:
    table = pa.table(
        {
            "id": [1, 2],
            "color": pa.array(["red", "blue"]).dictionary_encode(),
            "flag": [True, False],
            "score": pa.array([1, 2], type=pa.int32()),
            "count": [1.0, None],
            "text": ["a", None],
        }
    )

    conformed = SCHEMA.conform(table)

    assert conformed.schema == SCHEMA.arrow_schema
    assert conformed.column("count").to_pylist() == [1, None]
    assert conformed.column("color").to_pylist() == ["red", "blue"]


def test_conform_names_a_missing_column_and_an_uncastable_one() -> None:
    with pytest.raises(
        DataError, match=r"new.csv lacks the model's input column\(s\) \['count', 'score', 'flag'"
    ):
        SCHEMA.conform(pa.table({"text": ["a"]}), source="new.csv")
    bad = pa.table({**{k: [v] for k, v in GOOD.items()}, "count": [2.5]})
    with pytest.raises(
        DataError, match=r"column 'count' is double and cannot be read as the model's integer"
    ):
        SCHEMA.conform(bad)


def test_json_schema_describes_one_row() -> None:
    schema = SCHEMA.json_schema()

    assert schema["required"] == ["text", "count", "score", "flag", "color"]
    assert schema["properties"]["count"] == {"type": ["integer", "null"]}
    assert schema["additionalProperties"] is False
