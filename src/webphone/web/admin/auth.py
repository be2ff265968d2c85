"""Sign-in, sign-out, and the checks every admin request passes: a signed session cookie and,
on every POST, a CSRF token.

The session is a cookie signed with HMAC-SHA256 under a secret kept in the data directory
(`admin-secret`, made at first start). It names the admin, a random session id, when it was
issued, and a stamp of the admin's password hash: changing the password or removing the admin
ends every session of theirs. Signing out also revokes the session id in this process.
The CSRF token of a session is derived from its id (no storage); the sign-in form gets its own
token tied to a short-lived cookie, so a foreign page cannot sign a browser in either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "AdminSession",
    "Signer",
    "load_secret",
    "same_origin",
    "set_cookie",
]

SESSION_COOKIE = "webphone_admin"
LOGIN_COOKIE = "webphone_admin_login"
#: A session ends this long after sign-in, whatever happens in between.
SESSION_SECONDS = 12 * 3600
LOGIN_SECONDS = 3600
SECRET_FILE = "admin-secret"


def load_secret(directory: Path) -> bytes:
    """The signing secret in `directory/admin-secret`, made (mode 0600) when missing."""
    path = directory / SECRET_FILE
    try:
        text = path.read_text().strip()
        if len(text) >= 64:
            return bytes.fromhex(text)
    except (FileNotFoundError, ValueError):
        pass
    directory.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    # O_EXCL: when two processes start at once, the second reads the first one's secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as file:
        file.write(secret.hex() + "\n")
    return secret


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison; as bytes, since text from a request may be non-ASCII."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class AdminSession:
    """What the session cookie says, once its signature is checked."""

    user: str
    sid: str
    issued: int
    stamp: str


class Signer:
    """Signs and checks session cookies and CSRF tokens under one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        # sid -> when its cookie would have expired anyway; forgotten after that.
        self._revoked: dict[str, float] = {}

    def _key(self, purpose: str) -> bytes:
        # One key per use, so that a token made for one purpose never passes as another.
        return hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()

    def _mac(self, purpose: str, message: str) -> str:
        return _b64(hmac.new(self._key(purpose), message.encode(), hashlib.sha256).digest())

    def stamp(self, password_hash: str) -> str:
        """A short fingerprint of the password hash: a new password ends old sessions."""
        return self._mac("password", password_hash)[:22]

    def issue(self, user: str, password_hash: str, now: float | None = None) -> str:
        """A new session cookie value for `user`."""
        body = {
            "u": user,
            "s": secrets.token_urlsafe(16),
            "t": int(now if now is not None else time.time()),
            "p": self.stamp(password_hash),
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._mac('session', payload)}"

    def read(self, cookie: str | None, now: float | None = None) -> AdminSession | None:
        """The session in a cookie value: signed by us, not expired, not signed out."""
        if not cookie or cookie.count(".") != 1:
            return None
        payload, signature = cookie.split(".")
        if not _same(signature, self._mac("session", payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            session = AdminSession(str(body["u"]), str(body["s"]), int(body["t"]), str(body["p"]))
        except (ValueError, KeyError, TypeError):
            return None
        now = now if now is not None else time.time()
        if not 0 <= now - session.issued < SESSION_SECONDS or session.sid in self._revoked:
            return None
        return session

    def revoke(self, session: AdminSession) -> None:
        now = time.time()
        self._revoked = {sid: t for sid, t in self._revoked.items() if t > now}
        self._revoked[session.sid] = session.issued + SESSION_SECONDS

    def csrf(self, session: AdminSession) -> str:
        return self._mac("csrf", session.sid)

    def csrf_ok(self, session: AdminSession, token: str | None) -> bool:
        return bool(token) and _same(str(token), self.csrf(session))

    def login_csrf(self, nonce: str) -> str:
        """The sign-in form's token, tied to the nonce in the LOGIN_COOKIE."""
        return self._mac("login", nonce)

    def login_csrf_ok(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return _same(token, self.login_csrf(nonce))


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Lax cookie for /admin; Secure when the page came over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/admin",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site's page (the Origin
    header); a second guard next to the token."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin == f"{request.url.scheme}://{request.url.netloc}"
