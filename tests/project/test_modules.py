"""import_project_module: a project's lfs.py, freshly imported, with errors that point at the line."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from headrace.errors import LabelingFunctionError
from headrace.project import import_project_module
from headrace.supervision import collect_lfs


def write(path: Path, source: str) -> Path:
    path.write_text(source, encoding="utf-8")
    return path


def test_the_module_is_imported_from_its_path(tmp_path: Path) -> None:
    module = import_project_module(write(tmp_path / "lfs.py", "ANSWER = 42\n"))

    assert module.ANSWER == 42
    assert module.__file__ == str(tmp_path / "lfs.py")


def test_every_import_sees_the_current_file(tmp_path: Path) -> None:
    path = write(tmp_path / "lfs.py", "VERSION = 1\n")
    assert import_project_module(path).VERSION == 1

    write(path, "VERSION = 22\n")

    assert import_project_module(path).VERSION == 22


def test_a_same_size_edit_within_one_clock_tick_runs_the_new_code_under_a_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As for users, let Python write __pycache__ (its entries are keyed by whole-second
    # mtime and size, so they cannot tell this edit apart).
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    template = (
        "from headrace.supervision import labeling_function\n"
        "\n"
        "@labeling_function()\n"
        "def lf(row):\n"
        "    return {}\n"
    )
    path = write(tmp_path / "lfs.py", template.format(0))
    (before,) = collect_lfs(import_project_module(path))
    stat = path.stat()

    write(path, template.format(1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (after,) = collect_lfs(import_project_module(path))

    assert (before.fn(None), after.fn(None)) == (0, 1)
    assert after.key != before.key


def test_modules_of_two_projects_do_not_collide(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = import_project_module(write(tmp_path / "a" / "lfs.py", "WHO = 'a'\n"))
    second = import_project_module(write(tmp_path / "b" / "lfs.py", "WHO = 'b'\n"))

    assert first.__name__ != second.__name__
    assert (first.WHO, second.WHO) == ("a", "b")


def test_a_syntax_error_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "lfs.py", "x = 1\ndef broken(:\n    pass\n")

    with pytest.raises(LabelingFunctionError) as caught:
        import_project_module(path)

    message = str(caught.value)
    assert message.startswith(str(path))
    assert "failed to import: SyntaxError" in message
    assert "line 2" in message


def test_an_exception_at_import_names_the_file_the_line_and_the_error(tmp_path: Path) -> None:
    path = write(tmp_path / "lfs.py", "import os\n\nLOOKUP = {}\nVALUE = LOOKUP['missing']\n")

    with pytest.raises(
        LabelingFunctionError, match=re.escape(f"{path} (line 4): failed to import: KeyError: 'missing'")
    ):
        import_project_module(path)
    # A half-imported module is not left behind in sys.modules.
    assert all(getattr(module, "__file__", None) != str(path) for module in list(sys.modules.values()))


def test_a_missing_file_says_which_setting_names_it(tmp_path: Path) -> None:
    with pytest.raises(
        LabelingFunctionError, match=r"lfs\.py: file not found \(set supervision\.functions\)"
    ):
        import_project_module(tmp_path / "lfs.py")
