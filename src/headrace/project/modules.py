"""Importing a project's Python modules (``lfs.py``, ``slices.py``) by path."""

from __future__ import annotations

import hashlib
import importlib.util
import linecache
import sys
import traceback
from pathlib import Path
from types import ModuleType

import cloudpickle

from headrace.errors import LabelingFunctionError

__all__ = ["import_project_module"]


def import_project_module(path: Path) -> ModuleType:
    """Import the Python file at ``path`` as a fresh module.

    The module gets a name derived from its path, so two projects' ``lfs.py`` never
    collide, and it is re-executed on every call so edits are always seen.

    Raises
    ------
    LabelingFunctionError
        The file is missing or raises while importing; the message gives the file,
        the line and the exception.
    """
    if not path.is_file():
        raise LabelingFunctionError(f"{path}: file not found (set supervision.functions)")
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"headrace_project_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LabelingFunctionError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        # Compile from the file itself, never from __pycache__: bytecode is validated by
        # whole-second mtime and size, so a quick same-size edit would run the old code
        # while the LF key (from the new source) changed. linecache gets the same text so
        # inspect.getsource, and with it the LF key, describes exactly the code that runs.
        data = path.read_bytes()
        text = importlib.util.decode_source(data)
        linecache.cache[str(path)] = (len(text), None, text.splitlines(keepends=True), str(path))
        exec(compile(data, str(path), "exec", dont_inherit=True), module.__dict__)
    except Exception as exc:
        sys.modules.pop(name, None)
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
        where = f" (line {frames[-1].lineno})" if frames else ""
        raise LabelingFunctionError(f"{path}{where}: failed to import: {type(exc).__name__}: {exc}") from exc
    # Engines that run work in other processes (process pool, Dask) pickle LFs; this
    # module cannot be imported there by name, so its functions travel by value.
    cloudpickle.register_pickle_by_value(module)
    return module
