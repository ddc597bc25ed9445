"""The web dashboard (``headrace ui``): runs, lineage, labeling functions, models and monitoring.

Server-rendered pages (Jinja2, autoescaped) on the same Starlette/uvicorn stack as
serving, with Plotly charts drawn by the plotly.js bundled in the ``plotly`` package:
nothing is fetched from the network. Pages read what the pipeline stored; they never
re-apply LFs or retrain. Promote and rollback need ``HEADRACE_API_KEY`` and an explicit
confirmation; without the key the dashboard is read-only.
"""

from headrace.ui.app import Dashboard, create_ui_app

__all__ = ["Dashboard", "create_ui_app"]
