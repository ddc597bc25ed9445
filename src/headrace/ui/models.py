"""The models pages: versions and aliases, one version's scores and slices, promote and rollback.

Promote and rollback call the registry's own functions; this module only gathers what
the pages show around them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headrace.behavior.gate import check_model, gates
from headrace.errors import NotFoundError, ReleaseGateError
from headrace.project import Project
from headrace.registry import (
    AliasMove,
    ModelVersion,
    alias_history,
    get_version,
    list_versions,
    promote,
    rollback,
)
from headrace.store import RunRecord, Store
from headrace.ui.queries import RunSummary, consumer_runs

__all__ = [
    "KEY_METRICS",
    "STANDARD_ALIASES",
    "ModelDetail",
    "ModelsView",
    "SliceRow",
    "model_detail",
    "models_view",
    "move_notice",
    "promote_version",
    "rollback_alias",
]

#: Test metrics shown next to each version.
KEY_METRICS = ("accuracy", "f1", "f1_macro", "roc_auc", "ece")

#: Aliases always offered as promotion targets.
STANDARD_ALIASES = ("production", "staging")

#: Alias moves listed on a page.
HISTORY_LIMIT = 100


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class ModelsView:
    """Every version (newest first), where each alias points, and the latest alias moves."""

    versions: list[ModelVersion]
    aliases: dict[str, int]
    history: list[AliasMove]

    def metric(self, version: ModelVersion, name: str) -> float | None:
        return _number(version.metrics.get(name))


def models_view(store: Store) -> ModelsView:
    """The registry at a glance."""
    versions = list_versions(store)
    aliases = {alias: v.version for v in versions for alias in v.aliases}
    return ModelsView(versions, dict(sorted(aliases.items())), alias_history(store, limit=HISTORY_LIMIT))


@dataclass(frozen=True)
class SliceRow:
    """Test scores on one slice, with the bootstrap interval of its accuracy."""

    name: str
    rows: int | None
    accuracy: float | None
    f1: float | None
    roc_auc: float | None
    accuracy_low: float | None
    accuracy_high: float | None


@dataclass(frozen=True)
class ModelDetail:
    """One version: its scores, per class and per slice, its runs, and its alias history."""

    version: ModelVersion
    key_metrics: dict[str, float | None]
    classes: list[str]
    confusion: list[list[int]] | None
    per_class: list[tuple[str, float | None, float | None, float | None, int | None]]
    slices: list[SliceRow]
    reliability: list[dict[str, float]]
    train_run: RunRecord | None
    history: list[AliasMove]
    aliases: dict[str, int]
    promote_targets: list[str]
    gated: list[str]
    last_check: RunSummary | None

    @property
    def family(self) -> str | None:
        value = None if self.train_run is None else self.train_run.metrics.get("family")
        return None if value is None else str(value)


def model_detail(store: Store, ref: str, *, gated: Sequence[str] = ()) -> ModelDetail:
    """Everything the page of model ``ref`` (number, ``v3`` or alias) shows.

    ``gated`` are the aliases the project's behavioral tests gate (``checks.gate``).

    Raises
    ------
    NotFoundError
        No such version or alias.
    """
    version = get_version(store, ref)
    metrics = version.metrics
    classes = [str(c) for c in metrics.get("classes") or []]
    per_class = []
    for name, scores in (metrics.get("per_class") or {}).items():
        support = scores.get("support")
        per_class.append(
            (
                str(name),
                _number(scores.get("precision")),
                _number(scores.get("recall")),
                _number(scores.get("f1")),
                None if support is None else int(support),
            )
        )
    slices = []
    for name, scores in sorted((metrics.get("slices") or {}).items()):
        interval = (scores.get("intervals") or {}).get("accuracy") or {}
        rows = scores.get("n_rows")
        slices.append(
            SliceRow(
                name=str(name),
                rows=None if rows is None else int(rows),
                accuracy=_number(scores.get("accuracy")),
                f1=_number(scores.get("f1")),
                roc_auc=_number(scores.get("roc_auc")),
                accuracy_low=_number(interval.get("low")),
                accuracy_high=_number(interval.get("high")),
            )
        )
    try:
        train_run: RunRecord | None = store.runs.get(version.train_run_id)
    except NotFoundError:
        train_run = None
    every = models_view(store)
    moves = [m for m in alias_history(store) if version.version in (m.version, m.previous_version)]
    targets = sorted({*STANDARD_ALIASES, *every.aliases} - set(version.aliases))
    confusion = metrics.get("confusion")
    checks, _ = consumer_runs(store, version.object_id, limit=1, kind="behavior_check")
    return ModelDetail(
        version=version,
        key_metrics={name: _number(metrics.get(name)) for name in KEY_METRICS},
        classes=classes,
        confusion=[[int(v) for v in row] for row in confusion] if isinstance(confusion, list) else None,
        per_class=per_class,
        slices=slices,
        reliability=[dict(b) for b in metrics.get("reliability") or [] if isinstance(b, dict)],
        train_run=train_run,
        history=moves[:HISTORY_LIMIT],
        aliases=every.aliases,
        promote_targets=targets,
        gated=list(gated),
        last_check=checks[0][0] if checks else None,
    )


def promote_version(
    project: Project, store: Store, version: int, alias: str, *, reason: str | None, actor: str
) -> AliasMove | None:
    """Point ``alias`` at ``version``; ``None`` when it already pointed there.

    An alias the project gates (``checks.gate``) is moved only after the behavioral
    tests pass, exactly as ``headrace promote`` does (the check is recorded as a run).
    The dashboard offers no override: ``headrace promote --force --reason`` is the way.

    Raises
    ------
    ReleaseGateError
        The version fails the behavioral tests that gate ``alias``.
    """
    if gates(project, alias):
        check = check_model(project, store, str(version))
        if not check.report.passed:
            raise ReleaseGateError(
                f"model v{version} fails behavioral tests, so it cannot become {alias!r}: "
                f"{check.summary()} (see `headrace check {version}`; only "
                "`headrace promote --force --reason` overrides the gate)"
            )
    return promote(store, str(version), alias, reason=reason, actor=actor)


def rollback_alias(store: Store, alias: str, *, reason: str | None, actor: str) -> AliasMove:
    """Point ``alias`` back at the version before its latest promotion."""
    return rollback(store, alias, reason=reason, actor=actor)


def move_notice(params: Mapping[str, str], history: Sequence[AliasMove]) -> str | None:
    """The message after a promote or rollback: the recorded move, or that nothing changed."""
    moved = params.get("moved")
    if moved and moved.isdigit():
        for move in history:
            if move.id == int(moved):
                before = "" if move.previous_version is None else f" (was v{move.previous_version})"
                return f"{move.alias} now points at v{move.version}{before}: {move.action} recorded"
    unchanged = params.get("unchanged")
    if unchanged:
        return f"{unchanged} already pointed at this version: nothing changed"
    return None
