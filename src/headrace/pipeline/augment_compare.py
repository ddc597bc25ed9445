"""Augmentation's effect on test and slice metrics: the registered model against the same
model family and hyper-parameters fitted on the training rows without their copies.

No second search: the searched model (trained with augmentation) is compared with a
refit of its own family and parameters on the un-augmented rows, fitted exactly as the
search refits its best trial — so the two differ only in the copies, and the comparison
costs one fit (recorded as the ``train_unaugmented`` stage) and one scoring
(``evaluate_unaugmented``), both cached like every stage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from headrace.data import GOLD_COLUMN, prepare_frame
from headrace.pipeline.augment import AugmentedRows
from headrace.pipeline.context import PipelineContext
from headrace.pipeline.ingest import IngestOutput
from headrace.pipeline.label_model import TrainingLabels
from headrace.pipeline.training import (
    TrainedModel,
    _features,
    _search_params,
    evaluate,
    training_inputs,
    training_rows,
)
from headrace.project import FeaturesConfig, TrainConfig
from headrace.registry import ModelPackage, save_package
from headrace.store import ActiveRun, RunRecord
from headrace.train.types import Classifier, FloatArray, IntArray, Matrix

__all__ = ["COMPARED_METRICS", "augmentation_section", "fit_fixed"]

#: Test metrics reported with and without augmentation.
COMPARED_METRICS = ("f1", "accuracy", "f1_macro", "precision", "recall")
_SLICE_METRICS = ("f1", "accuracy")


def fit_fixed(
    frame: pd.DataFrame,
    probs: FloatArray,
    *,
    family: str,
    params: dict[str, Any],
    features: FeaturesConfig,
    train: TrainConfig,
    dev_frame: pd.DataFrame | None,
    dev_labels: IntArray | None,
) -> tuple[Pipeline, float | None]:
    """Fit ``family`` with ``params`` as the search refits its best trial; return it and its threshold.

    The featurizer is fitted on all rows (arg-max labels), rows are soft-label expanded
    (after SMOTE when configured), the threshold is tuned on gold dev — or, without
    dev rows, on the search's seeded 20 % holdout, after which the model is refitted on
    every row.
    """
    from headrace.train import (
        FAMILIES,
        TrainingSet,
        build_featurizer,
        expand_rows,
        smote_oversample,
        tune_threshold,
    )
    from headrace.train.search import HOLDOUT_FRACTION

    chosen = FAMILIES[family]
    training = TrainingSet(frame=frame, probs=probs)
    hard = training.hard_labels
    featurizer = build_featurizer(features, frame)
    X = featurizer.fit_transform(frame, hard)
    balanced = train.imbalance.class_weight == "balanced"

    def fit(X_fit: Matrix, p_fit: FloatArray) -> Classifier:
        if train.imbalance.smote:
            sampled = smote_oversample(X_fit, p_fit, seed=train.seed)
            rows = expand_rows(sampled.X, sampled.probs, row_weight=sampled.row_weight, balanced=balanced)
        else:
            rows = expand_rows(X_fit, p_fit, balanced=balanced)
        model = chosen.build(params, seed=train.seed, class_weight=rows.class_weight)
        return chosen.fit(model, rows.X, rows.y, sample_weight=rows.weight)

    holdout = dev_frame is None or dev_labels is None
    if dev_frame is not None and dev_labels is not None:
        model, X_score, y_score = fit(X, probs), featurizer.transform(dev_frame), dev_labels
    else:
        counts = np.bincount(hard)
        stratify = hard if counts[counts > 0].min() >= 2 else None
        fit_rows, held = train_test_split(
            np.arange(len(hard)), test_size=HOLDOUT_FRACTION, random_state=train.seed, stratify=stratify
        )
        fit_rows, held = np.sort(fit_rows), np.sort(held)
        model, X_score, y_score = fit(X[fit_rows], probs[fit_rows]), X[held], hard[held]
    threshold: float | None = None
    if probs.shape[1] == 2:
        threshold = 0.5
        if train.imbalance.tune_threshold:
            scores = np.asarray(model.predict_proba(X_score), dtype=np.float64)
            threshold = tune_threshold(y_score, scores, train.metric)
    if holdout:
        model = fit(X, probs)
    return Pipeline([("features", featurizer), ("model", model)]), threshold


def _train_unaugmented(
    ctx: PipelineContext, data: IngestOutput, labels: TrainingLabels, model: TrainedModel
) -> TrainedModel:
    """The ``train_unaugmented`` stage: the searched family and parameters, no copies."""
    config = ctx.project.config
    family, params = str(model.search["family"]), dict(model.search["params"])
    inputs = training_inputs(data, labels)
    if data.gold_dev is not None:
        inputs["gold_dev"] = data.gold_dev.id
    features = _features(ctx, data)

    def compute(run: ActiveRun) -> None:
        rows = training_rows(ctx, data, labels)
        dev_frame = dev_labels = None
        if data.gold_dev is not None:
            dev_frame = prepare_frame(data.gold_dev.table, features)
            dev_labels = data.gold_dev.table.column(GOLD_COLUMN).to_numpy().astype(np.int64)
        pipeline, threshold = fit_fixed(
            prepare_frame(rows.table, features),
            rows.probs,
            family=family,
            params=params,
            features=features,
            train=config.train,
            dev_frame=dev_frame,
            dev_labels=dev_labels,
        )
        columns = [*features.text, *features.numeric, *features.categorical]
        package = ModelPackage(
            pipeline=pipeline,
            classes=list(config.task.labels),
            features=features,
            input_schema={c: str(rows.table.schema.field(c).type) for c in columns},
            lineage=dict(inputs),
            threshold=threshold,
        )
        run.outputs["model"] = save_package(ctx.store, package)
        run.metrics.update(train_rows=rows.table.num_rows, family=family, params=params, threshold=threshold)

    def detail(record: RunRecord, _cached: bool) -> dict[str, Any]:
        return {"train_rows": record.metrics["train_rows"], "family": record.metrics["family"]}

    record = ctx.run_stage(
        "train_unaugmented",
        inputs=inputs,
        params={"family": family, "params": params, **_search_params(ctx, data)},
        compute=compute,
        detail=detail,
    )
    search = {"family": family, "params": params, "threshold": record.metrics["threshold"]}
    return TrainedModel(record.outputs["model"], record.id, record.metrics["train_rows"], search)


def _pair(with_: Any, without: Any) -> dict[str, Any]:
    # + 0.0 turns a rounded -0.0 into 0.0 (no change should not read as a loss).
    delta = None if with_ is None or without is None else round(float(with_) - float(without), 4) + 0.0
    return {"with": with_, "without": without, "delta": delta}


def _comparison(augmented: dict[str, Any], plain: dict[str, Any], model: TrainedModel) -> dict[str, Any]:
    test = {m: _pair(augmented.get(m), plain.get(m)) for m in COMPARED_METRICS}
    slices: dict[str, Any] = {}
    for name, scores in (augmented.get("slices") or {}).items():
        other = (plain.get("slices") or {}).get(name, {})
        slices[name] = {"rows": scores.get("n_rows", 0)} | {
            m: _pair(scores.get(m), other.get(m)) for m in _SLICE_METRICS
        }
    return {
        "family": model.search["family"],
        "params": model.search["params"],
        "test": test,
        "slices": slices,
    }


def augmentation_section(
    ctx: PipelineContext,
    data: IngestOutput,
    labels: TrainingLabels,
    augmented: AugmentedRows,
    model: TrainedModel,
    evaluation: RunRecord | None,
) -> dict[str, Any]:
    """What the report and ``--json`` say about augmentation.

    The stage's counts (rows in, added, per TF, declined, unchanged), a few copies next
    to their originals, and — with ``augment.compare`` and a gold test set — test and
    per-slice scores with and without augmentation (``comparison``; ``None`` otherwise).
    """
    config = ctx.project.config.augment
    section: dict[str, Any] = {
        key: augmented.summary[key]
        for key in ("rows_in", "rows_added", "rows_out", "per_tf", "declined", "unchanged", "policy", "tfs")
    }
    section["seed"] = None if config is None else config.seed
    section["examples"] = augmented.summary.get("examples", [])
    section["comparison"] = None
    if config is None or not config.compare or evaluation is None:
        return section
    plain_model = _train_unaugmented(ctx, data, labels, model)
    plain = evaluate(ctx, data, plain_model, kind="evaluate_unaugmented")
    if plain is not None:
        section["comparison"] = _comparison(dict(evaluation.metrics), dict(plain.metrics), model)
    return section
