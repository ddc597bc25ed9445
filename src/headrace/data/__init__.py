"""Data: reading sources, validating them, and freezing them into snapshots."""

from headrace.data.constraints import (
    CategoryRule,
    ColumnConstraints,
    Constraints,
    LengthRule,
    NullRule,
    PresenceRule,
    RangeRule,
    TypeRule,
    infer_constraints,
    load_constraints,
    project_constraints,
    require_constraints,
    write_constraints,
)
from headrace.data.frame import prepare_frame
from headrace.data.sampling import ReservoirSampler, stratified_sample, stratified_split, weighted_sample
from headrace.data.schema import infer_features
from headrace.data.snapshot import GOLD_COLUMN, Snapshot, load_snapshot, write_snapshot
from headrace.data.sources import SUPPORTED_SUFFIXES, read_sources, read_table, resolve_sources
from headrace.data.validation import encode_labels, require_columns, require_unique_ids
from headrace.data.violations import Example, ValidationReport, Violation, check_constraints

__all__ = [
    "GOLD_COLUMN",
    "SUPPORTED_SUFFIXES",
    "CategoryRule",
    "ColumnConstraints",
    "Constraints",
    "Example",
    "LengthRule",
    "NullRule",
    "PresenceRule",
    "RangeRule",
    "ReservoirSampler",
    "Snapshot",
    "TypeRule",
    "ValidationReport",
    "Violation",
    "check_constraints",
    "encode_labels",
    "infer_constraints",
    "infer_features",
    "load_constraints",
    "load_snapshot",
    "prepare_frame",
    "project_constraints",
    "read_sources",
    "read_table",
    "require_columns",
    "require_constraints",
    "require_unique_ids",
    "resolve_sources",
    "stratified_sample",
    "stratified_split",
    "weighted_sample",
    "write_constraints",
    "write_snapshot",
]
