"""The project: its file (``headrace.yaml``), its folder and its Python modules."""

from headrace.project.config import (
    ChecksConfig,
    DataConfig,
    EngineConfig,
    FeaturesConfig,
    GoldConfig,
    ImbalanceConfig,
    MonitorConfig,
    MonitorThresholds,
    ProjectConfig,
    SearchConfig,
    ServeBatchConfig,
    ServeConfig,
    ServeLogConfig,
    StoreConfig,
    SupervisionConfig,
    TaskConfig,
    TrainConfig,
)
from headrace.project.loader import PROJECT_FILENAME, Project, load_project
from headrace.project.modules import import_project_module
from headrace.project.scaffold import available_examples, init_project

__all__ = [
    "PROJECT_FILENAME",
    "ChecksConfig",
    "DataConfig",
    "EngineConfig",
    "FeaturesConfig",
    "GoldConfig",
    "ImbalanceConfig",
    "MonitorConfig",
    "MonitorThresholds",
    "Project",
    "ProjectConfig",
    "SearchConfig",
    "ServeBatchConfig",
    "ServeConfig",
    "ServeLogConfig",
    "StoreConfig",
    "SupervisionConfig",
    "TaskConfig",
    "TrainConfig",
    "available_examples",
    "import_project_module",
    "init_project",
    "load_project",
]
