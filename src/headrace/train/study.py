"""The Optuna study a search lives in: opening (and resuming) it, and reading it back.

The study is kept in a SQL database (Optuna's ``RDBStorage``) at any SQLAlchemy URL —
normally the one of headrace's own store, whose schema revision sits in its own
``headrace_schema_version`` table so Optuna's ``alembic_version`` does not clash. Opening
a study that exists resumes it (``load_if_exists=True``):

* its finished trials (complete or pruned) count towards the trial budget and are not
  run again;
* trials left ``RUNNING`` by an interrupted process are marked failed — headrace runs
  one search per study at a time, so a running trial found at start is a dead one;
* its *fingerprint* (a hash of the training rows, labels, dev rows and the settings
  that change what a trial scores) must match, or the study was made for other inputs
  and :class:`TrainingError` says to use another study name.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from headrace.errors import TrainingError

if TYPE_CHECKING:
    import optuna

__all__ = [
    "FINGERPRINT_ATTR",
    "TrialRecord",
    "fingerprint",
    "open_storage",
    "open_study",
    "param_importances",
    "quiet_optuna",
    "trial_records",
]

#: Study user attribute holding the inputs' fingerprint.
FINGERPRINT_ATTR = "headrace_fingerprint"

#: Tries at opening Optuna's storage on SQLite, where concurrent first opens collide.
_OPEN_ATTEMPTS = 5

#: PostgreSQL advisory lock key held while Optuna creates its tables ("optuna-tables"
#: hashed to a bigint); distinct from the store's write lock, which is per transaction.
_SCHEMA_LOCK_KEY = int.from_bytes(hashlib.sha256(b"headrace:optuna-tables").digest()[:8], "big") >> 1


@dataclass(frozen=True)
class TrialRecord:
    """One trial of a search, as recorded in its study."""

    number: int
    family: str | None
    params: dict[str, Any]
    value: float | None
    state: str
    seconds: float | None


def fingerprint(
    frame: pd.DataFrame, probs: np.ndarray, dev: tuple[pd.DataFrame, np.ndarray] | None, settings: Any
) -> str:
    """sha256 over the training rows and labels, the dev rows and labels, and ``settings``."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(probs, dtype=np.float64).tobytes())
    if dev is not None:
        digest.update(pd.util.hash_pandas_object(dev[0], index=False).to_numpy().tobytes())
        digest.update(np.ascontiguousarray(dev[1], dtype=np.int64).tobytes())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's storage at ``url``, its tables created if missing.

    Optuna creates its tables (and, on PostgreSQL, its enum types) without a lock: two
    processes opening a brand-new PostgreSQL database at once, say two projects' first
    runs on a team's server, both try to create type ``studydirection`` and one fails
    with a unique violation. A session-level advisory lock makes the creation one at a
    time there. On SQLite the losers of the race fail on a table or Optuna's
    ``alembic_version`` row the winner made; opening again finds them and succeeds.
    """
    import optuna
    from sqlalchemy import create_engine, make_url
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.pool import NullPool

    if make_url(url).get_backend_name() != "postgresql":
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                return optuna.storages.RDBStorage(url)
            except (IntegrityError, OperationalError):
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # Released when this connection closes, whatever RDBStorage raised.
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({_SCHEMA_LOCK_KEY})")
            return optuna.storages.RDBStorage(url)
    finally:
        engine.dispose()


@contextmanager
def quiet_optuna() -> Iterator[None]:
    """Silence Optuna's per-trial INFO lines for the duration (restored after)."""
    import optuna

    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def open_study(
    storage: optuna.storages.RDBStorage,
    study_name: str,
    *,
    inputs_hash: str,
    seed: int,
    pruning: bool,
) -> optuna.Study:
    """Create or resume the study ``study_name`` with a seeded TPE sampler.

    ``inputs_hash`` is the inputs' fingerprint. The sampler's seed is ``seed`` plus the
    number of trials already in the study, so a resumed search does not replay the
    random start-up points it already tried.

    Raises
    ------
    TrainingError
        The study exists but was made for other inputs.
    """
    import optuna
    from optuna.trial import TrialState

    existing = {s.study_name: s for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}
    n_before = existing[study_name].n_trials if study_name in existing else 0
    pruner: optuna.pruners.BasePruner = (
        optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=50)
        if pruning
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        sampler=optuna.samplers.TPESampler(seed=seed + n_before),
        pruner=pruner,
        direction="maximize",
        load_if_exists=True,
    )
    recorded = study.user_attrs.get(FINGERPRINT_ATTR)
    if recorded is None:
        study.set_user_attr(FINGERPRINT_ATTR, inputs_hash)
    elif recorded != inputs_hash:
        raise TrainingError(
            f"the Optuna study {study_name!r} was made for other training rows, labels, dev rows "
            "or settings; give this search another study name (derive it from the inputs' hashes) "
            "or delete the study"
        )
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        # FrozenTrial exposes its storage id only as _trial_id; there is no public way to
        # fail a trial left running by a killed process without heartbeats.
        storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
    return study


def trial_records(study: optuna.Study) -> list[TrialRecord]:
    """Every trial of ``study`` in order, with its family and unprefixed parameters."""
    records = []
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        seconds = None
        if trial.datetime_start is not None and trial.datetime_complete is not None:
            seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
        records.append(
            TrialRecord(
                number=trial.number,
                family=trial.user_attrs.get("family"),
                params=dict(trial.user_attrs.get("params", trial.params)),
                value=None if trial.value is None else float(trial.value),
                state=trial.state.name,
                seconds=seconds,
            )
        )
    return records


def param_importances(study: optuna.Study, family: str, *, seed: int) -> dict[str, float] | None:
    """fANOVA importances of ``family``'s hyper-parameters over its completed trials.

    ``None`` with fewer than two completed trials of the family, when its trials
    share no parameter, or when they all scored the same. Names are Optuna's
    (``lightgbm.num_leaves``).
    """
    import optuna
    from optuna.trial import TrialState

    trials = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.user_attrs.get("family") == family
    ]
    # Equal scores leave fANOVA no variance to attribute (it raises): no importances.
    if len(trials) < 2 or len({t.value for t in trials}) < 2:
        return None
    names = sorted(set.intersection(*(set(t.params) for t in trials)) - {"family"})
    if not names:
        return None
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    importances = optuna.importance.get_param_importances(study, evaluator=evaluator, params=names)
    return {name: float(value) for name, value in importances.items()}
