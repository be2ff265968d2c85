"""A small in-process browser for the admin's tests: requests to an ASGI app, a cookie jar,
forms posted URL-encoded, redirects followed on request. (No httpx here, so no TestClient.)"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.types import ASGIApp, Message

__all__ = ["Browser", "Reply", "csrf_of"]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode()

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)

    def cookies(self) -> list[str]:
        """The Set-Cookie headers, as sent."""
        return [v for k, v in self.headers if k == "set-cookie"]


def csrf_of(page: Reply) -> str:
    """The CSRF token in the first form of a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, f"no CSRF token in {page.url}"
    return html.unescape(match.group(1))


@dataclass
class Browser:
    """Keeps cookies between requests, like a browser on `origin`."""

    app: ASGIApp
    origin: str = "http://127.0.0.1:8080"
    jar: dict[str, str] = field(default_factory=dict)

    async def get(self, url: str, *, follow: bool = False) -> Reply:
        return await self.request("GET", url, follow=follow)

    async def post(
        self,
        url: str,
        form: Mapping[str, str] | None = None,
        *,
        follow: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        body = urlencode(dict(form or {})).encode()
        sent = {"content-type": "application/x-www-form-urlencoded", "origin": self.origin}
        return await self.request(
            "POST", url, body=body, headers=sent | dict(headers or {}), follow=follow
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        follow: bool = False,
    ) -> Reply:
        reply = await self._once(method, url, body, headers or {})
        for _ in range(5):
            location = reply.header("location")
            if not follow or location is None or reply.status not in (301, 302, 303, 307):
                break
            reply = await self._once("GET", location, b"", {})
        return reply

    async def _once(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        parts = urlsplit(url)
        origin = urlsplit(self.origin)
        sent = {"host": origin.netloc, **{k.lower(): v for k, v in headers.items()}}
        if self.jar:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if body:
            sent["content-length"] = str(len(body))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": origin.scheme,
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(k.encode(), v.encode()) for k, v in sent.items()],
            "client": ("127.0.0.1", 40000),
            "server": (origin.hostname, origin.port or 80),
        }
        messages: list[Message] = []
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # no disconnect while the app answers
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            messages.append(message)

        await asyncio.wait_for(self.app(scope, receive, send), 10)
        start = next(m for m in messages if m["type"] == "http.response.start")
        out = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        reply_headers = [(k.decode().lower(), v.decode()) for k, v in start["headers"]]
        reply = Reply(start["status"], reply_headers, out, url)
        self._keep(reply)
        return reply

    def _keep(self, reply: Reply) -> None:
        for header in reply.cookies():
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value
