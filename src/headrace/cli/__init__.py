"""The ``headrace`` command: thin commands over the Python API.

Every command translates arguments into one API call and its result into text (or
JSON with ``--json``); errors become a message on stderr and a non-zero exit status
(:mod:`headrace.errors` gives each kind its own). One module per group of commands.
"""

from __future__ import annotations

import click

from headrace import __version__
from headrace.cli.active_cmds import annotate, suggest
from headrace.cli.augment_cmds import augment
from headrace.cli.check_cmds import check
from headrace.cli.monitor_cmds import feedback, monitor
from headrace.cli.predict_cmds import predict
from headrace.cli.project_cmds import init, run
from headrace.cli.registry_cmds import export, history, lineage, models, promote, rollback
from headrace.cli.runs_cmds import runs
from headrace.cli.serve_cmds import serve
from headrace.cli.supervision_cmds import lfs
from headrace.cli.ui_cmds import ui
from headrace.cli.validate_cmds import validate

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="headrace")
def main() -> None:
    """headrace: from raw, mostly unlabeled data to a monitored production model."""


for _command in (
    init,
    run,
    validate,
    lfs,
    suggest,
    annotate,
    augment,
    lineage,
    runs,
    models,
    promote,
    rollback,
    history,
    export,
    serve,
    predict,
    feedback,
    monitor,
    check,
    ui,
):
    main.add_command(_command)
