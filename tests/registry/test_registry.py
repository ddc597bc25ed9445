"""Model versions and aliases: a package registered once, found by number or alias."""

from __future__ import annotations

import pytest

from headrace.errors import NotFoundError
from headrace.registry import get_version, list_versions, register_model, set_alias
from headrace.store import Store


def package_and_run(store: Store, content: bytes) -> tuple[str, str]:
    """A stored (stand-in) model package and the train run that made it."""
    object_id = store.put("model", data=content)
    with store.runs.recording("train") as run:
        run.outputs["model"] = object_id
    return object_id, run.id


def register(store: Store, content: bytes, **kwargs: object) -> tuple[int, bool]:
    object_id, run_id = package_and_run(store, content)
    version, created = register_model(
        store, object_id=object_id, train_run_id=run_id, eval_run_id=None, metrics={"f1": 0.5}, **kwargs
    )
    return version.version, created


def test_versions_count_up_from_one(store: Store) -> None:
    assert [register(store, body) for body in (b"m1", b"m2", b"m3")] == [(1, True), (2, True), (3, True)]


def test_a_registered_version_keeps_what_made_it(store: Store) -> None:
    object_id, train_run = package_and_run(store, b"m1")

    version, created = register_model(
        store, object_id=object_id, train_run_id=train_run, eval_run_id=train_run, metrics={"f1": 0.9}
    )

    assert created
    assert (version.object_id, version.train_run_id, version.eval_run_id) == (object_id, train_run, train_run)
    assert version.metrics == {"f1": 0.9}
    assert version.aliases == ()
    assert version.created_at.tzinfo is not None


def test_registering_the_same_package_again_returns_its_existing_version(store: Store) -> None:
    object_id, run_id = package_and_run(store, b"m1")
    first, _ = register_model(
        store, object_id=object_id, train_run_id=run_id, eval_run_id=None, metrics={"f1": 1}
    )

    again, created = register_model(
        store, object_id=object_id, train_run_id=run_id, eval_run_id=None, metrics={"f1": 2}
    )

    assert not created
    assert again.version == first.version == 1
    assert again.metrics == {"f1": 1}
    assert len(list_versions(store)) == 1


def test_an_alias_given_at_registration_points_at_the_version(store: Store) -> None:
    register(store, b"m1", alias="staging")
    register(store, b"m2", alias="staging")

    assert get_version(store, "staging").version == 2
    assert get_version(store, "1").aliases == ()
    assert get_version(store, "2").aliases == ("staging",)


def test_re_registering_an_existing_package_can_move_an_alias_to_it(store: Store) -> None:
    register(store, b"m1")
    register(store, b"m2", alias="production")

    version, created = register(store, b"m1", alias="production")

    assert (version, created) == (1, False)
    assert get_version(store, "production").version == 1


@pytest.mark.parametrize("ref", ["3", "v3", "production"])
def test_a_version_is_found_by_number_v_number_or_alias(store: Store, ref: str) -> None:
    for body in (b"m1", b"m2"):
        register(store, body)
    register(store, b"m3", alias="production")

    assert get_version(store, ref).version == 3


@pytest.mark.parametrize("ref", ["7", "v7", "prod", "V3", "v"])
def test_an_unknown_reference_lists_the_aliases(store: Store, ref: str) -> None:
    register(store, b"m1", alias="staging")
    register(store, b"m2", alias="production")

    with pytest.raises(
        NotFoundError,
        match=rf"no model version or alias '{ref}' in this store; aliases: \['production', 'staging'\]",
    ):
        get_version(store, ref)


def test_set_alias_moves_an_alias_and_returns_the_target(store: Store) -> None:
    register(store, b"m1", alias="production")
    register(store, b"m2")

    target = set_alias(store, "production", "v2")

    assert (target.version, target.aliases) == (2, ("production",))
    assert get_version(store, "1").aliases == ()
    # Several aliases may point at one version.
    assert set_alias(store, "staging", "production").aliases == ("production", "staging")


def test_set_alias_to_an_unknown_version_changes_nothing(store: Store) -> None:
    register(store, b"m1", alias="production")

    with pytest.raises(NotFoundError, match="no model version or alias 'v9'"):
        set_alias(store, "production", "v9")
    assert get_version(store, "production").version == 1


def test_list_versions_is_newest_first(store: Store) -> None:
    assert list_versions(store) == []
    for body in (b"m1", b"m2", b"m3"):
        register(store, body)

    assert [v.version for v in list_versions(store)] == [3, 2, 1]
