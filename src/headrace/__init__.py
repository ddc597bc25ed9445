"""headrace: from raw, mostly unlabeled data to a monitored production model.

The stages, in the order data flows through them, are the subpackages
``project`` → ``data`` → ``supervision`` → ``train`` → ``registry``; ``store`` keeps
runs, objects and lineage for all of them, and ``pipeline`` runs them as
``headrace run``. The names below are the Python API behind the CLI; they are
imported on first use so ``import headrace`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "init_project": "headrace.project",
    "load_project": "headrace.project",
    "run_project": "headrace.pipeline",
    "Store": "headrace.store",
    "load_model": "headrace.registry",
    "model_lineage": "headrace.registry",
    "HeadraceError": "headrace.errors",
}

__all__ = [
    "HeadraceError",
    "Store",
    "__version__",
    "init_project",
    "load_model",
    "load_project",
    "model_lineage",
    "run_project",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'headrace' has no attribute {name!r}")
