"""Records the registry returns: model versions and alias moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["AliasMove", "ModelVersion"]


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version: a model package (its manifest id) and the runs that made and scored it."""

    version: int
    object_id: str
    train_run_id: str
    eval_run_id: str | None
    metrics: dict[str, Any]
    created_at: datetime
    aliases: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``headrace models --json``)."""
        return {
            "version": self.version,
            "object_id": self.object_id,
            "aliases": list(self.aliases),
            "train_run_id": self.train_run_id,
            "eval_run_id": self.eval_run_id,
            "metrics": self.metrics,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class AliasMove:
    """One move of an alias: where it points now, where it pointed before, when, why and by whom.

    ``action`` is ``register``, ``promote``, ``rollback`` or ``migrated`` (the alias as it
    stood when the store's alias history began).
    """

    id: int
    alias: str
    version: int
    previous_version: int | None
    action: str
    moved_at: datetime
    reason: str | None
    actor: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "alias": self.alias,
            "version": self.version,
            "previous_version": self.previous_version,
            "action": self.action,
            "moved_at": self.moved_at.isoformat(),
            "reason": self.reason,
            "actor": self.actor,
        }
