"""MLflow models-from-code entry point: ``mlflow.pyfunc.load_model`` runs this file.

Exported models use it instead of a cloudpickled model object, so the only pickle in
an exported model is the package's own file, verified against its manifest first.
"""

from mlflow.models import set_model

from headrace.registry.mlflow_model import HeadracePyfuncModel

set_model(HeadracePyfuncModel())
