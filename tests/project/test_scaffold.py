"""init_project: a new project folder from a bundled example."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.errors import ProjectFileError
from headrace.project import PROJECT_FILENAME, available_examples, init_project, load_project


def test_youtube_spam_is_a_bundled_example() -> None:
    assert "youtube-spam" in available_examples()


def test_init_copies_the_example_into_a_new_folder_that_loads(tmp_path: Path) -> None:
    target = init_project(tmp_path / "spam", example="youtube-spam")

    assert target == tmp_path / "spam"
    assert (target / PROJECT_FILENAME).is_file()
    assert (target / "lfs.py").is_file()
    assert (target / "data" / "comments.csv").is_file()
    assert not (target / ".headrace").exists()
    assert load_project(target).config.name == "youtube-spam"


def test_init_fills_an_existing_folder_without_a_project_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    init_project(tmp_path, example="youtube-spam")

    assert (tmp_path / PROJECT_FILENAME).is_file()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_init_refuses_a_folder_that_already_has_a_project(tmp_path: Path) -> None:
    (tmp_path / PROJECT_FILENAME).write_text("name: mine\n")

    with pytest.raises(ProjectFileError, match=r"headrace\.yaml already exists; choose an empty folder"):
        init_project(tmp_path, example="youtube-spam")
    assert (tmp_path / PROJECT_FILENAME).read_text() == "name: mine\n"


def test_an_unknown_example_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(
        ProjectFileError, match=r"'nope' is not a bundled example; choose one of \[.*'youtube-spam'"
    ):
        init_project(tmp_path / "p", example="nope")
    assert not (tmp_path / "p").exists()
