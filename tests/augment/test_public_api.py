"""The augment package's public surface, locked: adding or removing a name is a deliberate change."""

from __future__ import annotations

import subprocess
import sys

import headrace.augment

PUBLIC = {
    "AUGMENTED_FROM_COLUMN",
    "POLICIES",
    "TFS_COLUMN",
    "ApplyAllPolicy",
    "ApplyOnePolicy",
    "AugmentResult",
    "BatchFormat",
    "Policy",
    "PolicyName",
    "RandomPolicy",
    "TransformationFunction",
    "apply_tfs",
    "augmentation_examples",
    "case_tf",
    "collect_tfs",
    "make_policy",
    "name_swap_tf",
    "number_swap_tf",
    "perturbation_tf",
    "punctuation_tf",
    "transformation_function",
    "typo_tf",
}


def test_the_augment_package_exports_exactly_its_public_names() -> None:
    assert set(headrace.augment.__all__) == PUBLIC
    assert all(hasattr(headrace.augment, name) for name in PUBLIC)


def test_importing_augment_does_not_import_the_registry() -> None:
    # augment.py files import this package; the perturbations' package (behavior) pulls
    # in the registry, so the text helpers import it only when called.
    code = "import sys, headrace.augment; print('headrace.registry' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
