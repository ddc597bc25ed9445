"""The project file model: what ``headrace.yaml`` may say, validated by pydantic.

Every model forbids unknown keys so a typo (``trian:``) is an error, not a silently
ignored setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AugmentConfig",
    "ChecksConfig",
    "DataConfig",
    "EngineConfig",
    "FeaturesConfig",
    "GoldConfig",
    "ImbalanceConfig",
    "MonitorConfig",
    "MonitorThresholds",
    "ProjectConfig",
    "SearchConfig",
    "ServeBatchConfig",
    "ServeConfig",
    "ServeLogConfig",
    "ServeSampleConfig",
    "StoreConfig",
    "SupervisionConfig",
    "TaskConfig",
    "TrainConfig",
    "ValidationConfig",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldConfig(_Strict):
    """Hand-labeled rows: a dev set (for choosing and checking) and a test set (for scoring)."""

    dev: str | None = Field(default=None, description="file or glob of gold dev rows")
    test: str | None = Field(default=None, description="file or glob of gold test rows")
    train: str | None = Field(
        default=None,
        description="gold labels (id + label) for the unlabeled pool, if any: only used to train "
        "the fully supervised reference model the weak model is compared with",
    )
    label: str = Field(default="label", min_length=1, description="column with the gold label")


class DataConfig(_Strict):
    """Where the data is and how rows are identified."""

    unlabeled: str | list[str] = Field(description="CSV/Parquet/JSONL file(s) or globs")
    gold: GoldConfig | None = None
    id: str = Field(min_length=1, description="column that identifies a row uniquely")

    @field_validator("unlabeled")
    @classmethod
    def _non_empty(cls, value: str | list[str]) -> str | list[str]:
        if not value:
            raise ValueError("must name at least one data file or glob")
        return value

    @property
    def unlabeled_patterns(self) -> list[str]:
        """The unlabeled sources as a list of patterns."""
        return [self.unlabeled] if isinstance(self.unlabeled, str) else list(self.unlabeled)


class TaskConfig(_Strict):
    """What the model predicts."""

    type: Literal["classification"] = "classification"
    labels: list[str] = Field(min_length=2, description="class names; index = class id")

    @field_validator("labels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"class names must be unique, got {value}")
        return value


class SupervisionConfig(_Strict):
    """Labeling functions and the label model that combines them."""

    functions: str = Field(default="lfs.py", description="Python file defining the LFs")
    label_model: Literal[
        "auto", "label_model", "majority", "weighted_majority", "dawid_skene", "matrix_completion", "triplet"
    ] = "auto"
    on_error: Literal["raise", "abstain"] = "raise"


class FeaturesConfig(_Strict):
    """Columns the model reads, by kind."""

    text: list[str] = Field(default_factory=list)
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    embeddings: bool = Field(
        default=False,
        description="add sentence embeddings of the text columns (needs the text-embeddings extra)",
    )

    @model_validator(mode="after")
    def _some_feature(self) -> FeaturesConfig:
        if not (self.text or self.numeric or self.categorical):
            raise ValueError("name at least one text, numeric or categorical column")
        return self


class SearchConfig(_Strict):
    """The hyper-parameter search over model families (Optuna, TPE)."""

    trials: int = Field(default=40, ge=1, description="trials across all families")
    timeout_s: float | None = Field(default=120.0, gt=0, description="stop starting trials after this")
    pruning: bool = True


class ImbalanceConfig(_Strict):
    """Handling skewed classes."""

    class_weight: Literal["balanced", "none"] = "balanced"
    tune_threshold: bool = Field(default=True, description="pick the decision threshold on gold dev")
    smote: bool = Field(default=False, description="oversample minorities with SMOTE (imbalance extra)")


class TrainConfig(_Strict):
    """How the end model is trained and judged."""

    models: list[Literal["logistic", "lightgbm", "linear_svm"]] = Field(
        default=["logistic", "lightgbm", "linear_svm"], min_length=1
    )
    search: SearchConfig = Field(default_factory=SearchConfig)
    imbalance: ImbalanceConfig = Field(default_factory=ImbalanceConfig)
    metric: Literal["f1", "f1_macro", "accuracy"] = "f1"
    features: FeaturesConfig | None = None
    drop_uncovered: bool = True
    seed: int = Field(default=0, ge=0)


class AugmentConfig(_Strict):
    """Data augmentation of the training rows (``augment.py``), applied before training."""

    functions: str = Field(default="augment.py", description="Python file defining the TFs")
    policy: Literal["one", "all", "random"] = Field(
        default="random",
        description="one: copies per TF, each by that TF; all: every TF in turn; random: k TFs per copy",
    )
    k: int = Field(default=1, ge=1, description="TFs per copy (policy: random only)")
    n_per_original: int = Field(default=1, ge=1, description="copies per original row (per TF with one)")
    keep_original: bool = Field(default=True, description="train on the original rows too")
    seed: int = Field(default=0, ge=0, description="seed of every random choice (policy and TFs)")
    compare: bool = Field(
        default=True,
        description="also fit the chosen model without augmentation and report both on gold test",
    )

    @model_validator(mode="after")
    def _k_needs_random(self) -> AugmentConfig:
        if self.k != 1 and self.policy != "random":
            raise ValueError(f"k applies to policy: random only (policy is {self.policy!r}); remove k")
        return self


class EngineConfig(_Strict):
    """Where partitioned work (LF application, later batch prediction) runs."""

    kind: Literal["local", "processes", "dask"] = "local"
    workers: int | None = Field(default=None, ge=1, description="worker processes (default: CPUs)")
    address: str | None = Field(default=None, description="dask scheduler, e.g. tcp://host:8786")


class ServeBatchConfig(_Strict):
    """Adaptive micro-batching: concurrent requests share one model call."""

    max_size: int = Field(default=64, ge=1, description="rows per model call at most")
    max_latency_ms: float = Field(
        default=2.0, ge=0, description="how long the first waiting request may wait for others"
    )
    max_queue_rows: int = Field(
        default=4096, ge=1, description="rows waiting at most; beyond, answer 503 with Retry-After"
    )


class ServeLogConfig(_Strict):
    """The prediction log: batched Parquet files in the store, by model and date."""

    enabled: bool = True
    flush_rows: int = Field(default=10_000, ge=1, description="write a file once this many rows wait")
    flush_interval_s: float = Field(
        default=1.0, gt=0, description="write waiting rows at least this often (what a crash can lose)"
    )


class ServeSampleConfig(_Strict):
    """A bounded uniform sample of live traffic inputs (a reservoir), for ``headrace validate --traffic``."""

    rows: int = Field(default=1000, ge=0, description="rows kept per model at most; 0 turns sampling off")
    flush_interval_s: float = Field(
        default=30.0, gt=0, description="how often the sample is written to .headrace/traffic_sample"
    )


class ServeConfig(_Strict):
    """``headrace serve``: which model, request limits, batching, logging and auth."""

    model: str = Field(default="production", min_length=1, description="alias or version to serve")
    batch: ServeBatchConfig = Field(default_factory=ServeBatchConfig)
    log: ServeLogConfig = Field(default_factory=ServeLogConfig)
    sample: ServeSampleConfig = Field(default_factory=ServeSampleConfig)
    max_body_bytes: int = Field(default=10_000_000, ge=1, description="larger bodies get 413")
    max_rows: int = Field(default=10_000, ge=1, description="rows per request at most; more get 413")
    reload_interval_s: float = Field(
        default=2.0, gt=0, description="how often a served alias is checked for promotion or rollback"
    )
    require_key_for_predict: bool = Field(
        default=False, description="predict also needs HEADRACE_API_KEY (state-changing endpoints always do)"
    )


class MonitorThresholds(_Strict):
    """When ``headrace monitor --check`` fails (and posts an alert); ``None`` turns a check off."""

    drift_share: float | None = Field(
        default=0.5, ge=0, le=1, description="share of drifted feature columns that is a breach"
    )
    multivariate_drift: bool = Field(
        default=True, description="a multivariate (domain classifier) drift is a breach"
    )
    prediction_drift: bool = Field(default=True, description="drift of the model's outputs is a breach")
    min_estimated_accuracy: float | None = Field(
        default=None, ge=0, le=1, description="label-free accuracy estimate below this is a breach"
    )
    max_accuracy_drop: float | None = Field(
        default=0.05, ge=0, le=1, description="estimated accuracy this far below the model's test accuracy"
    )
    min_realized_accuracy: float | None = Field(
        default=None, ge=0, le=1, description="accuracy on rows with ground truth below this is a breach"
    )
    max_lf_coverage_change: float | None = Field(
        default=0.2, ge=0, le=1, description="an LF's coverage moving this much (absolute) is a breach"
    )


class MonitorConfig(_Strict):
    """``headrace monitor``: windows over the prediction log, thresholds and where alerts go."""

    window: str = Field(
        default="1d",
        pattern=r"^(\d+(s|m|h|d)|\d+ rows)$",
        description="a time window (30m, 1h, 1d) or a count window (10000 rows)",
    )
    min_rows: int = Field(
        default=100, ge=1, description="windows with fewer rows are reported but not checked"
    )
    thresholds: MonitorThresholds = Field(default_factory=MonitorThresholds)
    webhook: str | None = Field(
        default=None, pattern=r"^https?://", description="URL that receives a JSON POST on a breach"
    )


class ChecksConfig(_Strict):
    """Behavioral tests (``headrace check``) and the aliases they gate."""

    file: str = Field(default="tests.py", description="Python file defining the behavioral tests")
    thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="test name -> largest failure rate allowed (overrides the test's own)",
    )
    gate: list[str] = Field(
        default_factory=lambda: ["production"],
        description="aliases a model may join only if every test passes",
    )
    seed: int = Field(default=0, ge=0, description="seed of the perturbations")

    @field_validator("thresholds")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {name: rate for name, rate in value.items() if not 0 <= rate <= 1}
        if bad:
            raise ValueError(f"failure rates must be between 0 and 1, got {bad}")
        return value


class ValidationConfig(_Strict):
    """Data validation: every snapshot and the served traffic checked against a constraints file."""

    enabled: bool = True
    constraints: str = Field(
        default="constraints.yaml",
        min_length=1,
        description="YAML file of per-column rules; inferred from the first snapshot when missing",
    )


class StoreConfig(_Strict):
    """Where the store keeps its objects (the metadata database follows ``HEADRACE_DB``)."""

    objects: str | None = Field(
        default=None,
        min_length=1,
        description="folder (relative to the project) or fsspec URL of the content-addressed objects, "
        "e.g. s3://bucket/headrace; default .headrace/objects; HEADRACE_OBJECTS overrides it",
    )


class ProjectConfig(_Strict):
    """The whole project file."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    data: DataConfig
    task: TaskConfig
    supervision: SupervisionConfig = Field(default_factory=SupervisionConfig)
    slices: str | None = Field(default=None, description="Python file defining slicing functions")
    train: TrainConfig = Field(default_factory=TrainConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    checks: ChecksConfig | None = Field(default=None, description="behavioral tests (tests.py)")
    augment: AugmentConfig | None = Field(
        default=None, description="augment the training rows with transformation functions (augment.py)"
    )
