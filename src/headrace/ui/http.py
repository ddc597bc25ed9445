"""What the dashboard's routes share at the HTTP level: headers, query parameters, forms, the key.

Nothing here knows about pages: it turns requests into checked values (or a 400 with a
message naming the parameter) and guards the routes that change state.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headrace.errors import HeadraceError
from headrace.serve.auth import API_KEY_VARIABLE, ApiKey

__all__ = [
    "MAX_FORM_BYTES",
    "BadRequest",
    "PlotlyScript",
    "Refusal",
    "SecurityHeaders",
    "choice",
    "int_param",
    "query_string",
    "query_string_with",
    "read_form",
    "write_refusal",
]

_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The HTML reports inline their scripts (they are single files meant to open offline).
_REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


#: Largest form body accepted (a promote form is a few hundred bytes).
MAX_FORM_BYTES = 64 * 1024


class BadRequest(Exception):
    """A query parameter or form field the page cannot use (400)."""


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body (what the pages' forms send).

    Parsed here rather than with Starlette's ``request.form()``, which needs the
    ``python-multipart`` package for a format these forms never use.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise BadRequest(
            f"send the form as application/x-www-form-urlencoded, got {kind or 'no content type'!r}"
        )
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadRequest(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100))
    except UnicodeDecodeError:
        raise BadRequest("the form is not UTF-8") from None
    except ValueError:
        raise BadRequest("the form has more than 100 fields") from None


@dataclass(frozen=True)
class Refusal:
    """A refused state-changing request: its HTTP status and what the user should do."""

    status: int
    message: str


class SecurityHeaders:
    """Adds a content security policy and the usual hardening headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _REPORT_CSP if str(scope.get("path", "")).startswith("/reports/") else _PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def int_param(request: Request, name: str, default: int, *, low: int = 1, high: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name!r} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"query parameter {name!r} must be {bound}, got {value}")
    return value


def choice(
    request: Request, name: str, choices: tuple[str, ...] | list[str], default: str | None
) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadRequest(f"query parameter {name!r} must be one of {sorted(choices)}, got {raw!r}")
    return raw


def query_string(**params: Any) -> str:
    """``?a=1&b=x`` of the params that are set (``None``, ``""`` and ``False`` are left out)."""
    kept = {k: ("1" if v is True else v) for k, v in params.items() if v not in (None, "", False)}
    return "?" + urlencode(kept) if kept else ""


def query_string_with(params: Mapping[str, Any], key: str, value: Any) -> str:
    """:func:`query_string` of ``params`` with ``key`` set to ``value``."""
    return query_string(**{**params, key: value})


class PlotlyScript:
    """plotly.js from the installed ``plotly`` package, read and gzipped once, on first use (4.8 MB)."""

    def __init__(self) -> None:
        self.version = importlib.metadata.version("plotly")
        self._lock = threading.Lock()
        self._bytes: tuple[bytes, bytes] | None = None

    @property
    def name(self) -> str:
        """The file name it is served under (the version in it lets browsers cache it for good)."""
        return f"plotly-{self.version}.min.js"

    def content(self) -> tuple[bytes, bytes]:
        """The script, plain and gzipped."""
        with self._lock:
            if self._bytes is None:
                plain = _plotly_file().read_bytes()
                self._bytes = (plain, gzip.compress(plain, compresslevel=6, mtime=0))
            return self._bytes


def _plotly_file() -> Path:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise HeadraceError("the plotly package is not installed: pip install plotly")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


def write_refusal(api_key: ApiKey, request: Request, form: Mapping[str, str]) -> Refusal | None:
    """Why a form that changes state is refused (``None``: it may go ahead).

    Refused: a server without a key (read-only), a form posted from another site, a
    missing or wrong key (the form's ``api_key`` field or a header), no ``confirm=yes``.
    """
    if not api_key.configured:
        return Refusal(
            403,
            f"this dashboard is read-only: it was started without {API_KEY_VARIABLE}; "
            f"restart `headrace ui` with {API_KEY_VARIABLE} set to promote or roll back",
        )
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        return Refusal(403, f"refused a form posted from another site ({origin})")
    given = form.get("api_key")
    if given:
        # The key typed in the form is checked exactly like a header key.
        probe = Request({"type": "http", "headers": [(b"x-api-key", given.encode("utf-8"))]})
        problem = api_key.problem(probe)
    else:
        problem = api_key.problem(request)
        if problem is not None and problem.startswith("missing"):
            problem = "missing API key: type it in the form's API key field"
    if problem is not None:
        return Refusal(401, problem)
    if form.get("confirm") != "yes":
        return Refusal(
            400, "not confirmed: tick the confirmation box (moving an alias changes what is served)"
        )
    return None
