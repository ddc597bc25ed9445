"""Content hashes: equal parameters give equal keys whatever the dict order."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from headrace.store import canonical_json, hash_bytes, hash_file, hash_json

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=6))
def test_hash_json_ignores_key_order(value: dict[str, object]) -> None:
    reversed_order = dict(reversed(list(value.items())))

    assert hash_json(reversed_order) == hash_json(value)


def test_hash_file_equals_hash_bytes_of_its_content(tmp_path: Path) -> None:
    # Larger than one read chunk, so the chunked loop is exercised.
    data = bytes(range(256)) * 5000
    path = tmp_path / "big.bin"
    path.write_bytes(data)

    assert hash_file(path) == hash_bytes(data) == hashlib.sha256(data).hexdigest()
