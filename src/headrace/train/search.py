"""Automated model selection: one Optuna search over model families and their hyper-parameters.

How a search runs (:func:`search_model`):

1. The featurizer is built from the schema and fitted **once**, on all training rows
   with their arg-max labels; train and dev rows are transformed once. Trials search
   model hyper-parameters only, on these matrices.
2. Scoring rows: the gold dev rows when given; otherwise a seeded, stratified 20 %
   holdout of the training rows, scored against their arg-max weak labels.
3. Training rows are soft-label expanded (:mod:`headrace.train.fit`), optionally after
   SMOTE (:mod:`headrace.train.imbalance`); ``class_weight: balanced`` weighs classes by
   their soft label mass.
4. Each trial picks a family (a categorical ``family`` parameter when there are
   several), samples its space (TPE, seeded), fits, and returns the project metric on
   the scoring rows with arg-max decisions. LightGBM reports its score every 25
   boosting rounds so the median pruner can stop it early; single-step families are
   not pruned. The search stops after ``trials`` finished trials or when ``timeout_s``
   has passed, whichever comes first; the study lives in a database so an interrupted
   search resumes (:mod:`headrace.train.study`).
5. The best trial's model is refitted (on the same rows as in the trial; with a holdout,
   refitted again on all rows afterwards), the binary decision threshold is tuned on the
   scoring rows for the metric, and featurizer + model become one ``Pipeline``.

Gold labels train through the same function: ``TrainingSet.from_labels``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from headrace.errors import DataError, TrainingError
from headrace.project.config import FeaturesConfig, TrainConfig
from headrace.train.evaluate import Evaluation, evaluate_predictions
from headrace.train.families import FAMILIES
from headrace.train.features import build_featurizer
from headrace.train.fit import DevSet, ExpandedRows, TrainingSet, check_training_labels, expand_rows
from headrace.train.imbalance import smote_oversample
from headrace.train.metrics import decide, score, tune_threshold
from headrace.train.study import (
    TrialRecord,
    fingerprint,
    open_storage,
    open_study,
    param_importances,
    quiet_optuna,
    trial_records,
)
from headrace.train.types import Classifier, FloatArray, IntArray, Matrix, ProbaFn

if TYPE_CHECKING:
    import optuna

__all__ = ["HOLDOUT_FRACTION", "SearchResult", "search_model"]

#: Share of the training rows held out for scoring when there is no gold dev set.
HOLDOUT_FRACTION = 0.2
_MIN_HOLDOUT_ROWS = 10


@dataclass(frozen=True)
class SearchResult:
    """The chosen model and how the search got there.

    Attributes
    ----------
    family, params
        The best trial's family and hyper-parameters (as ``build`` takes them).
    metric
        The project metric the search maximized.
    dev_score
        The best trial's metric on the scoring rows, arg-max decisions.
    threshold
        Two classes: decide class 1 when ``P(class 1) > threshold`` (tuned on the scoring
        rows when ``train.imbalance.tune_threshold``, else 0.5); ``None`` for more classes.
    dev_evaluation
        The chosen model's full evaluation on the scoring rows, with ``threshold``.
    dev_source
        ``"gold"`` (gold dev rows) or ``"holdout"`` (weakly labeled training holdout).
    pipeline
        Featurizer + model, fitted on all training rows with the best parameters.
    trials
        Every trial of the study, resumed ones included.
    study_name, n_trials, n_pruned
        The study, and how many of its trials completed and were pruned.
    wall_seconds
        Time this call took, featurizing and refitting included.
    importances
        fANOVA importances of the best family's parameters (``None`` with < 2 of its
        trials completed).
    n_train_rows, n_synthetic_rows
        Training rows (before expansion) and SMOTE rows added to them.
    """

    family: str
    params: dict[str, Any]
    metric: str
    dev_score: float
    threshold: float | None
    dev_evaluation: Evaluation
    dev_source: Literal["gold", "holdout"]
    pipeline: Pipeline
    trials: list[TrialRecord]
    study_name: str
    n_trials: int
    n_pruned: int
    wall_seconds: float
    importances: dict[str, float] | None
    n_train_rows: int
    n_synthetic_rows: int

    def to_dict(self) -> dict[str, Any]:
        """Everything but the pipeline, JSON-ready (for run metrics and reports)."""
        return {
            "family": self.family,
            "params": self.params,
            "metric": self.metric,
            "dev_score": self.dev_score,
            "threshold": self.threshold,
            "dev_evaluation": self.dev_evaluation.to_dict(),
            "dev_source": self.dev_source,
            "trials": [asdict(t) for t in self.trials],
            "study_name": self.study_name,
            "n_trials": self.n_trials,
            "n_pruned": self.n_pruned,
            "wall_seconds": self.wall_seconds,
            "importances": self.importances,
            "n_train_rows": self.n_train_rows,
            "n_synthetic_rows": self.n_synthetic_rows,
        }


@dataclass(frozen=True)
class _Scoring:
    X: Matrix
    y: IntArray
    fit_rows: IntArray
    source: Literal["gold", "holdout"]


def _scoring_rows(
    X: Matrix, training: TrainingSet, X_dev: Matrix | None, dev: DevSet | None, seed: int
) -> _Scoring:
    hard = training.hard_labels
    if dev is not None:
        return _Scoring(X_dev, np.asarray(dev.labels, dtype=np.int64), np.arange(len(hard)), "gold")
    if len(hard) < _MIN_HOLDOUT_ROWS:
        raise TrainingError(
            f"without gold dev rows the search holds out {HOLDOUT_FRACTION:.0%} of the training rows "
            f"to score on, which needs at least {_MIN_HOLDOUT_ROWS} rows; got {len(hard)}: "
            "add data.gold.dev or more training rows"
        )
    counts = np.bincount(hard)
    stratify = hard if counts[counts > 0].min() >= 2 else None
    fit_rows, held = train_test_split(
        np.arange(len(hard)), test_size=HOLDOUT_FRACTION, random_state=seed, stratify=stratify
    )
    fit_rows, held = np.sort(fit_rows), np.sort(held)
    return _Scoring(X[held], hard[held], fit_rows, "holdout")


def _prepare(X: Matrix, probs: FloatArray, train: TrainConfig) -> tuple[ExpandedRows, int]:
    """Oversample (if asked) and expand; return the rows and the number of SMOTE rows."""
    balanced = train.imbalance.class_weight == "balanced"
    if not train.imbalance.smote:
        return expand_rows(X, probs, balanced=balanced), 0
    sampled = smote_oversample(X, probs, seed=train.seed)
    rows = expand_rows(sampled.X, sampled.probs, row_weight=sampled.row_weight, balanced=balanced)
    return rows, sampled.n_synthetic


def _check_inputs(
    training: TrainingSet,
    classes: Sequence[str],
    features: FeaturesConfig,
    train: TrainConfig,
    dev: DevSet | None,
) -> None:
    check_training_labels(training, cardinality=len(classes))
    columns = [*features.text, *features.numeric, *features.categorical]
    frames = {"training": training.frame} | ({} if dev is None else {"dev": dev.frame})
    for role, frame in frames.items():
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(
                f"feature column(s) {missing} are not in the {role} rows; columns: {list(frame.columns)}"
            )
    unknown = [name for name in train.models if name not in FAMILIES]
    if unknown:
        raise TrainingError(f"train.models: unknown family {unknown}; known: {sorted(FAMILIES)}")
    if dev is not None:
        labels = np.asarray(dev.labels)
        if labels.shape != (len(dev.frame),) or len(labels) == 0:
            raise TrainingError(
                f"dev labels must be one class index per dev row ({len(dev.frame)}), got shape {labels.shape}"
            )
        if labels.min() < 0 or labels.max() >= len(classes):
            raise TrainingError(f"dev labels must be class indices 0..{len(classes) - 1}")


def _objective(
    families: list[str], rows: ExpandedRows, scoring: _Scoring, train: TrainConfig, k: int
) -> Callable[[optuna.Trial], float]:
    """The trial function: pick a family, sample, fit on ``rows``, score on ``scoring``."""
    import optuna

    def evaluate(proba: ProbaFn) -> float:
        return score(train.metric, scoring.y, decide(proba(scoring.X)), k)

    def objective(trial: optuna.Trial) -> float:
        name = families[0] if len(families) == 1 else str(trial.suggest_categorical("family", families))
        family = FAMILIES[name]
        params = family.suggest(trial)
        trial.set_user_attr("family", name)
        trial.set_user_attr("params", params)

        def monitor(step: int, proba: ProbaFn) -> None:
            trial.report(evaluate(proba), step)
            if trial.should_prune():
                raise optuna.TrialPruned()

        model = family.build(params, seed=train.seed, class_weight=rows.class_weight)
        family.fit(
            model,
            rows.X,
            rows.y,
            sample_weight=rows.weight,
            monitor=monitor if train.search.pruning else None,
        )
        return evaluate(model.predict_proba)

    return objective


def search_model(
    training: TrainingSet,
    *,
    classes: Sequence[str],
    features: FeaturesConfig,
    train: TrainConfig,
    storage: str,
    study_name: str | None = None,
    dev: DevSet | None = None,
) -> SearchResult:
    """Search model families and hyper-parameters; return the best as a fitted Pipeline.

    Parameters
    ----------
    training : TrainingSet
        Feature columns (as :func:`headrace.data.prepare_frame` makes them) and label
        distributions, shape ``(rows, len(classes))``. Weak labels, or gold labels via
        :meth:`TrainingSet.from_labels`.
    classes : sequence of str
        Class names, index = class id.
    features : FeaturesConfig
        The feature columns by kind (``train.features`` is not read: pass the inferred
        columns when the project file names none).
    train : TrainConfig
        Families (``models``), ``search``, ``imbalance``, ``metric`` and ``seed``.
    storage : str
        SQLAlchemy URL of the database holding the Optuna study (headrace's store URL).
    study_name : str, optional
        The study to create or resume. By default ``train-`` and 16 hex digits of the
        inputs' fingerprint (training rows and labels, dev rows and labels, classes,
        features and every ``train`` setting but ``search``): the same inputs resume
        the same study, changed inputs start a new one.
    dev : DevSet, optional
        Gold dev rows to score on; without them a 20 % holdout of the training rows.

    Returns
    -------
    SearchResult

    Raises
    ------
    TrainingError
        Invalid labels, an unknown family, a study made for other inputs, a missing
        optional extra (embeddings, SMOTE), or no trial completed (all failed or pruned).
    DataError
        A feature column is missing from the training or dev rows.

    Examples
    --------
    >>> result = search_model(  # doctest: +SKIP
    ...     TrainingSet(frame, probs), classes=["ham", "spam"], features=FeaturesConfig(text=["content"]),
    ...     train=TrainConfig(), storage="sqlite:///.headrace/headrace.db", dev=DevSet(dev_frame, dev_labels))
    >>> result.pipeline.predict_proba(new_rows)  # doctest: +SKIP
    """
    import optuna

    started = time.perf_counter()
    if study_name is not None and not study_name.strip():
        raise TrainingError("study_name must be a non-empty string (or None to derive it from the inputs)")
    _check_inputs(training, classes, features, train, dev)
    k = len(classes)
    settings = train.model_dump(mode="json", exclude={"search", "features"}) | {
        "features": features.model_dump(mode="json"),
        "classes": list(classes),
    }
    inputs_hash = fingerprint(
        training.frame, training.probs, None if dev is None else (dev.frame, dev.labels), settings
    )
    study_name = study_name or f"train-{inputs_hash[:16]}"

    featurizer = build_featurizer(features, training.frame)
    X = featurizer.fit_transform(training.frame, training.hard_labels)
    X_dev = None if dev is None else featurizer.transform(dev.frame)
    scoring = _scoring_rows(X, training, X_dev, dev, train.seed)
    rows, n_synthetic = _prepare(X[scoring.fit_rows], training.probs[scoring.fit_rows], train)
    objective = _objective(list(dict.fromkeys(train.models)), rows, scoring, train, k)
    rdb = open_storage(storage)
    try:
        with quiet_optuna():
            study = open_study(
                rdb, study_name, inputs_hash=inputs_hash, seed=train.seed, pruning=train.search.pruning
            )
            finished = study.get_trials(
                deepcopy=False, states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
            )
            remaining = train.search.trials - len(finished)
            if remaining > 0:
                study.optimize(
                    objective, n_trials=remaining, timeout=train.search.timeout_s, catch=(TrainingError,)
                )
            completed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
            if not completed:
                raise TrainingError(
                    f"no trial of the search {study_name!r} completed ({len(study.trials)} trials: "
                    "failed or pruned); see the trials' states, or raise train.search.trials / timeout_s"
                )
            best = study.best_trial
            records = trial_records(study)
            family_name = str(best.user_attrs["family"])
            importances = param_importances(study, family_name, seed=train.seed)
    finally:
        rdb.engine.dispose()

    family = FAMILIES[family_name]
    params = dict(best.user_attrs["params"])
    best_value = float(best.values[0])

    def refit(fit_rows: ExpandedRows) -> Classifier:
        model = family.build(params, seed=train.seed, class_weight=fit_rows.class_weight)
        return family.fit(model, fit_rows.X, fit_rows.y, sample_weight=fit_rows.weight)

    model = refit(rows)
    dev_probs = np.asarray(model.predict_proba(scoring.X), dtype=np.float64)
    threshold: float | None = None
    if k == 2:
        threshold = (
            tune_threshold(scoring.y, dev_probs, train.metric) if train.imbalance.tune_threshold else 0.5
        )
    dev_evaluation = evaluate_predictions(
        scoring.y, dev_probs, list(classes), threshold=threshold, seed=train.seed
    )
    if scoring.source == "holdout":
        all_rows, n_synthetic = _prepare(X, training.probs, train)
        model = refit(all_rows)
    return SearchResult(
        family=family_name,
        params=params,
        metric=train.metric,
        dev_score=best_value,
        threshold=threshold,
        dev_evaluation=dev_evaluation,
        dev_source=scoring.source,
        pipeline=Pipeline([("features", featurizer), ("model", model)]),
        trials=records,
        study_name=study_name,
        n_trials=len(completed),
        n_pruned=sum(r.state == "PRUNED" for r in records),
        wall_seconds=time.perf_counter() - started,
        importances=importances,
        n_train_rows=len(training.frame),
        n_synthetic_rows=n_synthetic,
    )
