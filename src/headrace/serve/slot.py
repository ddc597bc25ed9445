"""The served model and its hot swap.

A :class:`ModelSlot` holds the model being served. When it serves an alias it checks
the registry every ``reload_interval_s``; after a promotion or rollback it loads the
new version in a thread and replaces the reference in one assignment. Requests
already queued finish on the model they were validated against, new ones get the new
model, so a swap drops and fails nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable

from headrace.registry import get_version
from headrace.serve.predictor import ServedModel, load_served_model
from headrace.store import Store

__all__ = ["ModelSlot"]

logger = logging.getLogger(__name__)

_VERSION_REF = re.compile(r"^v?\d+$")


class ModelSlot:
    """The model a server answers with, kept in step with its alias.

    Parameters
    ----------
    store : Store
        Where the model is registered.
    ref : str
        An alias (followed) or a version (``3``/``v3``, fixed).
    reload_interval_s : float
        How often an alias is checked.
    on_swap : callable, optional
        Called with the new model after it is installed, and whether it replaced
        another (``False`` for the first load) — for metrics.
    """

    def __init__(
        self,
        store: Store,
        ref: str,
        *,
        reload_interval_s: float = 2.0,
        on_swap: Callable[[ServedModel, bool], None] | None = None,
    ) -> None:
        self.store = store
        self.ref = ref
        self.reload_interval_s = reload_interval_s
        self._on_swap = on_swap
        self.current: ServedModel | None = None
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def follows_alias(self) -> bool:
        return _VERSION_REF.match(self.ref) is None

    async def load(self) -> ServedModel:
        """Load the model ``ref`` names now (raises if it cannot be loaded)."""
        model = await asyncio.to_thread(load_served_model, self.store, self.ref)
        self._install(model)
        return model

    async def refresh(self) -> bool:
        """Swap in the model ``ref`` names if it changed; returns whether it did.

        A model that fails to load is logged and kept out: the server goes on with
        the model it has.
        """
        async with self._lock:
            try:
                version = await asyncio.to_thread(get_version, self.store, self.ref)
                current = self.current
                known = None if current is None else current.version
                if current is not None and known is not None and version.object_id == known.object_id:
                    if version.aliases != known.aliases:
                        self._install(ServedModel(current.package, version, self.ref), swap=False)
                    return False
                model = await asyncio.to_thread(load_served_model, self.store, self.ref)
            except Exception as exc:
                self.last_error = str(exc)
                logger.exception("could not load model %r; serving the previous one", self.ref)
                return False
            self._install(model)
            return True

    def start(self) -> None:
        """Follow the alias in the background (a fixed version is never reloaded)."""
        if self.follows_alias and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="headrace-model-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.reload_interval_s)
            await self.refresh()

    def _install(self, model: ServedModel, *, swap: bool = True) -> None:
        previous = self.current
        self.current = model
        self.last_error = None
        if swap and previous is not None:
            logger.info("now serving model v%s (%s)", model.version_number, model.model_id[:12])
        if swap and self._on_swap is not None:
            self._on_swap(model, previous is not None)
