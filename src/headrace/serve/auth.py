"""API-key checks: ``HEADRACE_API_KEY`` guards state-changing endpoints (and, if asked, predict).

The key travels as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` and is compared
in constant time. A server started without a key refuses every state-changing call:
an unset variable must not mean "open to anyone".
"""

from __future__ import annotations

import hmac
import os

from starlette.requests import Request

__all__ = ["API_KEY_VARIABLE", "ApiKey"]

#: Environment variable holding the key.
API_KEY_VARIABLE = "HEADRACE_API_KEY"


class ApiKey:
    """The server's key (``None``: no key configured)."""

    def __init__(self, key: str | None) -> None:
        self._key = key.encode("utf-8") if key else None

    @classmethod
    def from_environment(cls) -> ApiKey:
        return cls(os.environ.get(API_KEY_VARIABLE) or None)

    @property
    def configured(self) -> bool:
        return self._key is not None

    def problem(self, request: Request) -> str | None:
        """``None`` when ``request`` carries the key, else what is wrong (for the 401 body)."""
        if self._key is None:
            return (
                "this endpoint needs an API key and the server has none: "
                f"start it with {API_KEY_VARIABLE} set"
            )
        given = request.headers.get("x-api-key")
        if given is None:
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            given = credentials.strip() if scheme.lower() == "bearer" else None
        if not given:
            return "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
        if not hmac.compare_digest(given.encode("utf-8"), self._key):
            return "wrong API key"
        return None
