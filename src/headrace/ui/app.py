"""The dashboard's ASGI app: each route parses its request, calls one page function, renders.

Routes
------
``GET /``                          overview: project, latest runs, the served model, open alerts
``GET /lfs``                       LF summary table (``?sort=coverage&order=desc``)
``GET /lfs/{name}``                one LF: rows it fires on, rows where LFs disagree, its versions
``GET /runs``                      runs, newest first (``?kind=&status=&q=&top=1&page=&size=``)
``GET /runs/{run_id}``             one run: params, metrics, inputs, outputs, children
``GET /objects/{object_id}``       one object: the run that made it, runs that read it, models made from it
``GET /models``                    versions, aliases, alias history; rollback
``GET /models/{ref}``              one version: scores, slices, calibration; promote
``GET /models/{ref}/lineage``      the version's lineage graph, every node a link
``POST /models/{version}/promote`` point an alias at the version (API key and confirmation)
``POST /aliases/{alias}/rollback`` move an alias back (API key and confirmation)
``GET /monitoring``                drift over windows, estimated vs realized accuracy, alert history
``GET /reports/{name}``            the project's ``report.html`` (and ``monitor.html`` if written there)
``GET /healthz``                   the process answers

Promote and rollback need ``HEADRACE_API_KEY`` on the server and the same key in the
form (``api_key``) or a header, plus ``confirm=yes``; without a key the dashboard is
read-only. Every page is rendered by Jinja2 with autoescaping; scripts come only from
the app itself (plotly.js from the installed ``plotly`` package), so it works offline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from headrace import __version__
from headrace.errors import HeadraceError, NotFoundError, ReleaseGateError, StoreError
from headrace.project import Project, load_project
from headrace.serve.auth import API_KEY_VARIABLE, ApiKey
from headrace.store import Store
from headrace.ui import charts, lfs, lineage, models, monitoring, overview, runs
from headrace.ui.cache import ObjectCache
from headrace.ui.format import FILTERS
from headrace.ui.http import (
    BadRequest,
    PlotlyScript,
    Refusal,
    SecurityHeaders,
    choice,
    int_param,
    query_string,
    query_string_with,
    read_form,
    write_refusal,
)
from headrace.ui.queries import RunFilter

__all__ = ["LOOPBACK_HOSTS", "Dashboard", "create_ui_app"]

_STATIC = Path(__file__).parent / "static"

#: Host names of a dashboard bound to loopback.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

#: The project files ``/reports/{name}`` may serve, by name.
REPORTS = ("report.html", "monitor.html")


class Dashboard:
    """The dashboard over one project's store; :attr:`app` is the ASGI application.

    Parameters
    ----------
    project : Project
        The loaded project (its name, its served alias, its report files).
    store : Store
        The project's store; closed on shutdown when ``close_store`` is true.
    api_key : ApiKey, optional
        Defaults to ``HEADRACE_API_KEY``; without one, the dashboard is read-only.
    page_size : int
        Runs per page of the run list.
    allowed_hosts : sequence of str, optional
        Host names requests may carry (``Host`` header); any when ``None``.
    """

    def __init__(
        self,
        project: Project,
        store: Store,
        *,
        api_key: ApiKey | None = None,
        page_size: int = 50,
        allowed_hosts: Sequence[str] | None = None,
        close_store: bool = False,
    ) -> None:
        self.project = project
        self.store = store
        self.api_key = api_key or ApiKey.from_environment()
        self.page_size = page_size
        self.cache = ObjectCache(store)
        self._close_store = close_store
        self.plotly = PlotlyScript()
        self.templates = Environment(
            loader=PackageLoader("headrace.ui", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(FILTERS)
        self.templates.globals.update(
            qs=query_string,
            qs_with=query_string_with,
            plotly_src=f"/vendor/{self.plotly.name}",
            headrace_version=__version__,
            project_name=project.config.name,
            writable=self.api_key.configured,
            key_variable=API_KEY_VARIABLE,
        )
        self.app = Starlette(
            routes=[
                Route("/", self.overview),
                Route("/lfs", self.lf_table),
                Route("/lfs/{name}", self.lf_detail),
                Route("/runs", self.runs),
                Route("/runs/{run_id}", self.run),
                Route("/objects/{object_id}", self.object),
                Route("/models", self.models),
                Route("/models/{ref}", self.model),
                Route("/models/{ref}/lineage", self.lineage),
                Route("/models/{version}/promote", self.promote, methods=["POST"]),
                Route("/aliases/{alias}/rollback", self.rollback, methods=["POST"]),
                Route("/monitoring", self.monitoring),
                Route("/reports/{name}", self.report),
                Route("/healthz", self.healthz),
                Route("/favicon.ico", self.favicon),
                Route("/vendor/{name}", self.vendor),
                Mount("/static", StaticFiles(directory=_STATIC), name="static"),
            ],
            exception_handlers={
                NotFoundError: self._not_found,
                StoreError: self._store_error,
                HeadraceError: self._headrace_error,
                BadRequest: self._bad_request,
                HTTPException: self._http_error,
            },
            lifespan=self._lifespan,
        )
        self.app.add_middleware(SecurityHeaders)
        if allowed_hosts is not None:
            # A page on another site cannot reach a loopback dashboard through DNS rebinding:
            # its requests carry that site's name in Host.
            self.app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if self._close_store:
                self.store.close()

    # -- rendering ---------------------------------------------------------------------

    def render(self, request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        """Render ``template`` with ``context`` (and what every page shows) as an HTML response."""
        body = self.templates.get_template(template).render(path=request.url.path, **context)
        return HTMLResponse(body, status_code=status)

    def _error_page(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return self.render(request, "error.html", status=status, title=title, message=message)

    def _not_found(self, request: Request, exc: Exception) -> Response:
        return self._error_page(request, 404, "Not found", str(exc))

    def _store_error(self, request: Request, exc: Exception) -> Response:
        return self._error_page(request, 503, "The store cannot be read", str(exc))

    def _headrace_error(self, request: Request, exc: Exception) -> Response:
        return self._error_page(request, 400, "Cannot do that", str(exc))

    def _bad_request(self, request: Request, exc: Exception) -> Response:
        return self._error_page(request, 400, "Bad request", str(exc))

    def _http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = "no such page" if status == 404 else str(getattr(exc, "detail", exc))
        return self._error_page(request, status, "Not found" if status == 404 else "Error", message)

    # -- pages -------------------------------------------------------------------------

    def overview(self, request: Request) -> Response:
        view = overview.overview(
            self.store, self.cache, project=self.project.config.name, alias=self.project.config.serve.model
        )
        reports = [name for name in REPORTS if (self.project.root / name).is_file()]
        return self.render(request, "overview.html", view=view, reports=reports)

    def lf_table(self, request: Request) -> Response:
        sort = choice(request, "sort", list(lfs.LF_COLUMNS), "name") or "name"
        order = choice(request, "order", ("asc", "desc"), "asc")
        table = lfs.lf_table(self.store, self.cache, sort=sort, descending=order == "desc")
        chart = None
        if table is not None:
            names = [row.name for row in table.rows]
            chart = charts.lf_figure(
                names,
                [row.values.get("coverage") for row in table.rows],
                [row.values.get("conflicts") for row in table.rows],
            )
        return self.render(
            request, "lfs.html", table=table, columns=lfs.LF_COLUMNS, sort=sort, order=order, lf_chart=chart
        )

    def lf_detail(self, request: Request) -> Response:
        limit = int_param(request, "limit", 20, high=200)
        fires_page = int_param(request, "fires_page", 1)
        conflicts_page = int_param(request, "conflicts_page", 1)
        detail = lfs.lf_detail(
            self.store,
            self.cache,
            request.path_params["name"],
            limit=limit,
            fires_offset=(fires_page - 1) * limit,
            conflicts_offset=(conflicts_page - 1) * limit,
        )
        return self.render(
            request,
            "lf.html",
            detail=detail,
            limit=limit,
            fires_page=fires_page,
            conflicts_page=conflicts_page,
        )

    def runs(self, request: Request) -> Response:
        size = int_param(request, "size", self.page_size, high=500)
        number = int_param(request, "page", 1)
        status = choice(request, "status", runs.STATUSES, None)
        where = RunFilter(
            kind=request.query_params.get("kind") or None,
            status=status,
            id_prefix=(request.query_params.get("q") or "").strip().lower() or None,
            top_level=request.query_params.get("top") == "1",
        )
        view = runs.runs_view(self.store, where, number=number, size=size)
        return self.render(request, "runs.html", view=view, size=size, statuses=runs.STATUSES)

    def run(self, request: Request) -> Response:
        detail = runs.run_detail(self.store, request.path_params["run_id"])
        return self.render(request, "run.html", detail=detail)

    def object(self, request: Request) -> Response:
        number = int_param(request, "page", 1)
        view = lineage.object_view(
            self.store, self.cache, request.path_params["object_id"], offset=(number - 1) * 50, limit=50
        )
        title, detail = lineage.node_label(view.info.kind, view.info.meta)
        return self.render(request, "object.html", view=view, title=title, subtitle=detail, number=number)

    def models(self, request: Request) -> Response:
        return self._models_page(request)

    def _models_page(self, request: Request, *, status: int = 200, form_error: str | None = None) -> Response:
        view = models.models_view(self.store)
        notice = models.move_notice(request.query_params, view.history)
        return self.render(
            request, "models.html", status=status, view=view, notice=notice, form_error=form_error
        )

    def model(self, request: Request) -> Response:
        return self._model_page(request, request.path_params["ref"])

    def _model_page(
        self, request: Request, ref: str, *, status: int = 200, form_error: str | None = None
    ) -> Response:
        checks = self.project.config.checks
        detail = models.model_detail(self.store, ref, gated=[] if checks is None else checks.gate)
        figures = {}
        if detail.confusion and len(detail.classes) == len(detail.confusion):
            figures["confusion"] = charts.confusion_figure(detail.classes, detail.confusion)
        if detail.reliability:
            figures["reliability"] = charts.reliability_figure(detail.reliability)
        notice = models.move_notice(request.query_params, detail.history)
        reports = [name for name in REPORTS if (self.project.root / name).is_file()]
        return self.render(
            request,
            "model.html",
            status=status,
            detail=detail,
            figures=figures,
            notice=notice,
            form_error=form_error,
            reports=reports,
        )

    def lineage(self, request: Request) -> Response:
        graph = lineage.lineage_graph(self.store, request.path_params["ref"])
        return self.render(request, "lineage.html", graph=graph)

    def monitoring(self, request: Request) -> Response:
        run_id = request.query_params.get("run") or None
        view = monitoring.monitoring_view(self.store, self.cache, run_id)
        return self.render(request, "monitoring.html", view=view)

    def report(self, request: Request) -> Response:
        name = request.path_params["name"]
        path = self.project.root / name
        if name not in REPORTS or not path.is_file():
            raise NotFoundError(f"no report {name!r} in the project folder (reports: {list(REPORTS)})")
        return FileResponse(path, media_type="text/html")

    def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    def favicon(self, request: Request) -> Response:
        return FileResponse(_STATIC / "favicon.svg", media_type="image/svg+xml")

    def vendor(self, request: Request) -> Response:
        if request.path_params["name"] != self.plotly.name:
            raise NotFoundError("no such file")
        plain, compressed = self.plotly.content()
        headers = {"cache-control": "public, max-age=31536000, immutable", "vary": "accept-encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["content-encoding"] = "gzip"
            return Response(compressed, media_type="text/javascript", headers=headers)
        return Response(plain, media_type="text/javascript", headers=headers)

    # -- actions -----------------------------------------------------------------------

    @staticmethod
    def _actor(request: Request, form: Mapping[str, str]) -> str:
        given = form.get("actor", "").strip()
        host = request.client.host if request.client else "unknown"
        name = given[:100] if given else "dashboard"
        return f"{name} (headrace ui, {host})"

    @staticmethod
    def _reason(form: Mapping[str, str]) -> str | None:
        given = form.get("reason", "").strip()
        return given[:1000] or None

    async def promote(self, request: Request) -> Response:
        raw = request.path_params["version"]
        if not raw.isdigit():
            raise BadRequest(f"the version to promote must be a number, got {raw!r}")
        version = int(raw)
        form = await read_form(request)
        alias = form.get("alias", "").strip()
        refusal = write_refusal(self.api_key, request, form)
        if refusal is None and not alias:
            refusal = Refusal(400, f"choose the alias to point at v{version}")
        if refusal is not None:
            return await run_in_threadpool(
                self._model_page, request, raw, status=refusal.status, form_error=refusal.message
            )
        try:
            move = await run_in_threadpool(
                models.promote_version,
                self.project,
                self.store,
                version,
                alias,
                reason=self._reason(form),
                actor=self._actor(request, form),
            )
        except NotFoundError:
            raise
        except HeadraceError as exc:
            status = 409 if isinstance(exc, ReleaseGateError) else 400
            return await run_in_threadpool(self._model_page, request, raw, status=status, form_error=str(exc))
        target = f"/models/{version}" + query_string(
            moved=None if move is None else move.id, unchanged=alias if move is None else None
        )
        return RedirectResponse(target, status_code=303)

    async def rollback(self, request: Request) -> Response:
        alias = request.path_params["alias"]
        form = await read_form(request)
        refusal = write_refusal(self.api_key, request, form)
        if refusal is not None:
            return await run_in_threadpool(
                self._models_page, request, status=refusal.status, form_error=refusal.message
            )
        try:
            move = await run_in_threadpool(
                models.rollback_alias,
                self.store,
                alias,
                reason=self._reason(form),
                actor=self._actor(request, form),
            )
        except HeadraceError as exc:
            return await run_in_threadpool(self._models_page, request, status=400, form_error=str(exc))
        return RedirectResponse("/models" + query_string(moved=move.id), status_code=303)


def create_ui_app(
    project_dir: Path | str,
    *,
    api_key: ApiKey | None = None,
    page_size: int = 50,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The dashboard app of the project in ``project_dir`` (its store is opened here, closed on shutdown).

    Parameters
    ----------
    project_dir : Path or str
        The project folder (holds ``headrace.yaml``).
    api_key : ApiKey, optional
        The key promote and rollback require; defaults to ``HEADRACE_API_KEY``. Without
        one the dashboard is read-only.
    page_size : int
        Runs per page of the run list.
    allowed_hosts : sequence of str, optional
        Host names requests may carry; ``headrace ui`` bound to loopback passes
        :data:`LOOPBACK_HOSTS`. Any when ``None``.

    Raises
    ------
    ProjectFileError
        The project file is missing or invalid.

    Examples
    --------
    >>> import uvicorn  # doctest: +SKIP
    >>> uvicorn.run(create_ui_app("spam"), host="127.0.0.1", port=8080)  # doctest: +SKIP
    """
    project = load_project(project_dir)
    store = Store.for_project(project.root)
    dashboard = Dashboard(
        project, store, api_key=api_key, page_size=page_size, allowed_hosts=allowed_hosts, close_store=True
    )
    return dashboard.app
