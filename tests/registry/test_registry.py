"""Model versions and aliases: registered once, found by number or alias, promoted and rolled back."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from headrace.errors import ModelPackageError, NotFoundError, RegistryError
from headrace.registry import (
    alias_history,
    get_version,
    list_versions,
    load_model,
    promote,
    register_model,
    rollback,
    save_package,
)
from headrace.store import Store
from tests.registry.builders import QUERY, make_package, register


def aliases_of(store: Store) -> dict[str, int]:
    return {alias: v.version for v in list_versions(store) for alias in v.aliases}


# ---- versions -------------------------------------------------------------------------


def test_versions_count_up_from_one(store: Store) -> None:
    assert [register(store, c).version for c in (1.0, 2.0, 3.0)] == [1, 2, 3]


def test_a_registered_version_keeps_what_made_it(store: Store) -> None:
    with store.runs.recording("train") as run:
        run.outputs["model"] = save_package(store, make_package())

    version, created = register_model(
        store, object_id=run.outputs["model"], train_run_id=run.id, eval_run_id=run.id, metrics={"f1": 0.9}
    )

    assert created
    assert (version.object_id, version.train_run_id, version.eval_run_id) == (
        run.outputs["model"],
        run.id,
        run.id,
    )
    assert version.metrics == {"f1": 0.9}
    assert version.aliases == ()
    assert version.created_at.tzinfo is not None
    assert version.to_dict()["object_id"] == run.outputs["model"]


def test_registering_the_same_package_again_returns_its_existing_version(store: Store) -> None:
    object_id = save_package(store, make_package())
    run_id = store.runs.start("train")
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


def test_only_a_sound_model_package_can_be_registered(store: Store) -> None:
    run_id = store.runs.start("train")
    blob = store.put("model", data=b"weights")
    snapshot = store.put("snapshot", data=b"rows")

    with pytest.raises(ModelPackageError, match="is not a model manifest"):
        register_model(store, object_id=blob, train_run_id=run_id, eval_run_id=None, metrics={})
    with pytest.raises(ModelPackageError, match="is a 'snapshot' object, not a model package"):
        register_model(store, object_id=snapshot, train_run_id=run_id, eval_run_id=None, metrics={})
    assert list_versions(store) == []


@pytest.mark.parametrize("ref", ["3", "v3", "production"])
def test_a_version_is_found_by_number_v_number_or_alias(store: Store, ref: str) -> None:
    register(store, 1.0)
    register(store, 2.0)
    register(store, 3.0, alias="production")

    assert get_version(store, ref).version == 3


@pytest.mark.parametrize("ref", ["7", "v7", "prod", "V3", "v"])
def test_an_unknown_reference_lists_the_aliases(store: Store, ref: str) -> None:
    register(store, 1.0, alias="staging")
    register(store, 2.0, alias="production")

    with pytest.raises(
        NotFoundError,
        match=rf"no model version or alias '{ref}' in this store; aliases: \['production', 'staging'\]",
    ):
        get_version(store, ref)


def test_list_versions_is_newest_first_with_aliases(store: Store) -> None:
    assert list_versions(store) == []
    register(store, 1.0, alias="production")
    register(store, 2.0, alias="staging")
    register(store, 3.0)

    assert [(v.version, v.aliases) for v in list_versions(store)] == [
        (3, ()),
        (2, ("staging",)),
        (1, ("production",)),
    ]


def test_load_model_loads_the_package_a_reference_names(store: Store) -> None:
    register(store, 1.0, alias="production")

    loaded = load_model(store, "production")

    assert loaded.predict(QUERY).tolist() == make_package(1.0).predict(QUERY).tolist()
    assert loaded.object_id == get_version(store, "production").object_id
    with pytest.raises(NotFoundError):
        load_model(store, "staging")


# ---- aliases, promotion and history ------------------------------------------------------


def test_an_alias_given_at_registration_is_recorded_in_its_history(store: Store) -> None:
    register(store, 1.0, alias="staging")
    register(store, 2.0, alias="staging", reason="nightly", actor="ci")

    assert aliases_of(store) == {"staging": 2}
    assert [(m.version, m.previous_version, m.action, m.reason, m.actor) for m in alias_history(store)] == [
        (2, 1, "register", "nightly", "ci"),
        (1, None, "register", None, None),
    ]


def test_promote_moves_an_alias_and_records_the_move(store: Store) -> None:
    register(store, 1.0, alias="production")
    register(store, 2.0, alias="staging")

    move = promote(store, "staging", "production", reason="passed review", actor="ana")

    assert move is not None
    assert (move.alias, move.version, move.previous_version, move.action) == ("production", 2, 1, "promote")
    assert (move.reason, move.actor) == ("passed review", "ana")
    assert move.moved_at.tzinfo is not None
    assert aliases_of(store) == {"production": 2, "staging": 2}
    assert alias_history(store, "production")[0] == move
    assert get_version(store, "2").aliases == ("production", "staging")


def test_promoting_to_where_an_alias_already_points_records_nothing(store: Store) -> None:
    register(store, 1.0, alias="production")

    assert promote(store, "v1", "production") is None
    assert len(alias_history(store, "production")) == 1


def test_promoting_an_unknown_version_changes_nothing(store: Store) -> None:
    register(store, 1.0, alias="production")

    with pytest.raises(NotFoundError, match="no model version or alias 'v9'"):
        promote(store, "v9", "production")
    with pytest.raises(NotFoundError, match="no model version or alias 'v9'"):
        promote(store, "v9", "canary")
    assert aliases_of(store) == {"production": 1}
    assert len(alias_history(store)) == 1


@pytest.mark.parametrize("alias", ["3", "v3", "", "-x", "a b", "x" * 65])
def test_an_alias_must_be_a_name_not_a_version(store: Store, alias: str) -> None:
    register(store, 1.0)

    with pytest.raises(RegistryError, match=f"{alias!r} cannot be an alias: use a letter"):
        promote(store, "1", alias)


def test_rollback_walks_the_history_back_like_an_undo_stack(store: Store) -> None:
    for c in (1.0, 2.0, 3.0):
        register(store, c, alias="production")

    first = rollback(store, "production", reason="bad metrics")
    second = rollback(store, "production")

    assert (first.version, first.previous_version, first.action, first.reason) == (
        2,
        3,
        "rollback",
        "bad metrics",
    )
    assert (second.version, second.previous_version) == (1, 2)
    assert aliases_of(store) == {"production": 1}
    with pytest.raises(NotFoundError, match="alias 'production' has no earlier version to roll back to"):
        rollback(store, "production")


def test_a_promotion_after_a_rollback_can_itself_be_rolled_back(store: Store) -> None:
    for c in (1.0, 2.0, 3.0):
        register(store, c)
    promote(store, "1", "production")
    promote(store, "2", "production")
    rollback(store, "production")  # back to 1
    promote(store, "3", "production")

    assert rollback(store, "production").version == 1
    assert [m.action for m in alias_history(store, "production")] == [
        "rollback",
        "promote",
        "rollback",
        "promote",
        "promote",
    ]


def test_rollback_needs_an_alias_with_an_earlier_version(store: Store) -> None:
    register(store, 1.0, alias="production")

    with pytest.raises(
        NotFoundError, match=r"alias 'production' has no earlier version to roll back to: .* starts at v1"
    ):
        rollback(store, "production")
    with pytest.raises(
        NotFoundError, match=r"no alias 'staging' in this store to roll back; aliases: \['production'\]"
    ):
        rollback(store, "staging")
    assert aliases_of(store) == {"production": 1}


def test_history_of_one_alias_or_all_newest_first_with_a_limit(store: Store) -> None:
    register(store, 1.0, alias="production")
    register(store, 2.0, alias="staging")
    promote(store, "2", "production")

    assert [(m.alias, m.version) for m in alias_history(store)] == [
        ("production", 2),
        ("staging", 2),
        ("production", 1),
    ]
    assert [m.version for m in alias_history(store, "production")] == [2, 1]
    assert len(alias_history(store, limit=1)) == 1
    assert alias_history(store, "nothing") == []


def test_an_alias_cannot_be_made_to_point_at_a_missing_version(store: Store) -> None:
    register(store, 1.0, alias="production")

    # The database refuses it too, not only the registry's own check.
    with (
        pytest.raises(IntegrityError, match=r"(?i)foreign key constraint"),  # SQLite and PostgreSQL
        store.engine.begin() as connection,
    ):
        connection.execute(text("UPDATE aliases SET version = 99 WHERE name = 'production'"))
    assert aliases_of(store) == {"production": 1}


def test_concurrent_promotions_keep_the_history_a_chain(store: Store) -> None:
    for c in (1.0, 2.0, 3.0):
        register(store, c)
    promote(store, "1", "production")
    errors: list[BaseException] = []

    def flip(target: str) -> None:
        try:
            for _ in range(15):
                promote(store, target, "production")
                promote(store, "1", "production")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=flip, args=(t,)) for t in ("2", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    moves = list(reversed(alias_history(store, "production")))
    # Each move starts where the one before it ended: no promotion read a stale alias.
    for before, after in itertools.pairwise(moves):
        assert after.previous_version == before.version
    assert moves[-1].version == get_version(store, "production").version
