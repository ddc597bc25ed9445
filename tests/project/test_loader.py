"""load_project: headrace.yaml errors name the key, the bad value, and what to do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from headrace.errors import ProjectFileError
from headrace.project import PROJECT_FILENAME, load_project

VALID = """\
name: spam-demo
data:
  unlabeled: data/*.csv
  id: comment_id
task:
  labels: [ham, spam]
"""


def write_project(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PROJECT_FILENAME).write_text(text, encoding="utf-8")
    return folder


def load_error(folder: Path, text: str) -> str:
    write_project(folder, text)
    with pytest.raises(ProjectFileError) as caught:
        load_project(folder)
    return str(caught.value)


def test_a_minimal_project_loads_with_defaults(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, VALID))

    assert project.root == tmp_path.resolve()
    assert project.file == tmp_path.resolve() / PROJECT_FILENAME
    config = project.config
    assert config.data.unlabeled_patterns == ["data/*.csv"]
    assert config.task.labels == ["ham", "spam"]
    assert config.supervision.label_model == "auto"
    assert config.supervision.on_error == "raise"
    assert config.train.metric == "f1"


def test_the_project_file_itself_can_be_given(tmp_path: Path) -> None:
    write_project(tmp_path, VALID)

    assert load_project(tmp_path / PROJECT_FILENAME).root == tmp_path.resolve()


def test_paths_resolve_against_the_project_folder(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, VALID))

    assert project.path("lfs.py") == tmp_path.resolve() / "lfs.py"
    assert project.path(str(tmp_path / "elsewhere.csv")) == tmp_path / "elsewhere.csv"


def test_a_missing_project_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match=r"no project file here; create one with `headrace init"):
        load_project(tmp_path)


def test_invalid_yaml_is_reported_as_such(tmp_path: Path) -> None:
    message = load_error(tmp_path, "name: [unclosed\n")

    assert re.search(r"headrace\.yaml: not valid YAML", message)


@pytest.mark.parametrize(("text", "got"), [("- a\n- b\n", "list"), ("just text\n", "str"), ("", "NoneType")])
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str, got: str) -> None:
    message = load_error(tmp_path, text)

    assert "the project file must be a mapping of keys" in message
    assert message.endswith(f"got {got}")


def test_a_missing_key_is_named_with_its_path(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID.replace("  id: comment_id\n", ""))

    assert "headrace.yaml: 1 invalid setting(s)" in message
    assert "  data.id: is required but missing" in message


def test_a_bad_value_names_the_key_and_the_value(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID + "train:\n  metric: f2\n")

    assert re.search(r"train\.metric: .*'f1'.*; got 'f2'", message)


def test_a_misspelled_key_is_not_silently_ignored(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID + "trian:\n  metric: f1\n")

    assert "trian: is not a known setting" in message
    assert "check the spelling" in message


def test_a_misspelled_nested_key_is_named_with_its_path(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID + "supervision:\n  label_modle: majority\n")

    assert "supervision.label_modle: is not a known setting (got 'majority')" in message


def test_duplicate_class_names_are_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID.replace("[ham, spam]", "[ham, spam, ham]"))

    assert "task.labels: class names must be unique, got ['ham', 'spam', 'ham']" in message


def test_every_invalid_setting_is_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("  id: comment_id\n", "") + "train:\n  metric: f2\n  seed: -1\n"

    message = load_error(tmp_path, text)

    assert "3 invalid setting(s)" in message
    for key in ("data.id", "train.metric", "train.seed"):
        assert f"  {key}: " in message


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        ("train:\n  features: {}\n", "train.features"),
        ("train:\n  models: []\n", "train.models"),
        ("supervision:\n  on_error: ignore\n", "supervision.on_error"),
    ],
)
def test_other_invalid_settings_name_their_key(tmp_path: Path, snippet: str, key: str) -> None:
    message = load_error(tmp_path, VALID + snippet)

    assert f"  {key}: " in message


def test_an_invalid_project_name_is_refused(tmp_path: Path) -> None:
    message = load_error(tmp_path, VALID.replace("name: spam-demo", "name: 'spam demo!'"))

    assert "  name: " in message
    assert "got 'spam demo!'" in message
