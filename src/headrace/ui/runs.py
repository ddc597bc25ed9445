"""The runs pages: a filtered, paginated run list and one run with its inputs, outputs and children."""

from __future__ import annotations

import math
from dataclasses import dataclass

from headrace.store import RunRecord, RunStatus, Store
from headrace.ui.queries import RunFilter, RunPage, RunSummary, child_runs, object_infos, run_kinds, run_page

__all__ = ["STATUSES", "ObjectRef", "RunDetail", "RunsView", "run_detail", "runs_view"]

#: Statuses a run list can be filtered by.
STATUSES = (RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED)

#: Children listed under a run (a label run may have one per LF).
MAX_CHILDREN = 200


@dataclass(frozen=True)
class RunsView:
    """A page of the run list and what the filter form offers."""

    page: RunPage
    where: RunFilter
    kinds: list[str]
    number: int
    pages: int


@dataclass(frozen=True)
class ObjectRef:
    """An object a run read or wrote, under the role it played."""

    role: str
    object_id: str
    kind: str
    meta: dict[str, object]


@dataclass(frozen=True)
class RunDetail:
    """One run, the objects on its edges, its parent and its children."""

    run: RunRecord
    inputs: list[ObjectRef]
    outputs: list[ObjectRef]
    parent: RunSummary | None
    children: list[RunSummary]
    children_total: int


def runs_view(store: Store, where: RunFilter, *, number: int, size: int) -> RunsView:
    """Page ``number`` (from 1) of the runs matching ``where``, ``size`` runs a page, newest first."""
    page = run_page(store, where, offset=(number - 1) * size, limit=size)
    return RunsView(page, where, run_kinds(store), number, max(1, math.ceil(page.total / size)))


def run_detail(store: Store, run_id: str) -> RunDetail:
    """The run ``run_id`` (or a unique prefix of 6+ characters).

    Raises
    ------
    NotFoundError
        No such run.
    """
    run = store.runs.get(run_id)
    infos = object_infos(store, [*run.inputs.values(), *run.outputs.values()])

    def refs(edges: dict[str, str]) -> list[ObjectRef]:
        return [
            ObjectRef(
                role,
                oid,
                infos[oid].kind if oid in infos else "?",
                dict(infos[oid].meta) if oid in infos else {},
            )
            for role, oid in sorted(edges.items(), key=lambda item: (item[0].startswith("lf:"), item[0]))
        ]

    parent = None
    if run.parent_id is not None:
        found = run_page(store, RunFilter(id_prefix=run.parent_id), offset=0, limit=1).runs
        parent = found[0] if found else None
    children, total = child_runs(store, run.id, limit=MAX_CHILDREN)
    return RunDetail(run, refs(run.inputs), refs(run.outputs), parent, children, total)
