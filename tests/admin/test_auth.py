"""Sign-in, lock-out, sessions, sign-out and CSRF: who gets into the admin, which forms count."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette

from webphone.store import Database
from webphone.web.admin.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Signer,
    load_secret,
)

from .client import Browser, Reply, csrf_of
from .conftest import ADMIN, PASSWORD


async def sign_in(browser: Browser, name: str, password: str, next_: str = "") -> Reply:
    page = await browser.get("/admin/login" + (f"?next={next_}" if next_ else ""))
    form = {"csrf": csrf_of(page), "name": name, "password": password}
    if next_:
        form["next"] = next_
    return await browser.post("/admin/login", form)


async def test_signing_in_sets_a_secure_session_cookie(browser: Browser) -> None:
    page = await browser.get("/admin/login")
    assert page.status == 200 and "Sign in" in page.text
    assert LOGIN_COOKIE in browser.jar
    reply = await browser.post(
        "/admin/login", {"csrf": csrf_of(page), "name": ADMIN, "password": PASSWORD}
    )
    assert (reply.status, reply.header("location")) == (303, "/admin/")
    (cookie,) = [c for c in reply.cookies() if c.startswith(SESSION_COOKIE + "=")]
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/admin"} <= attributes
    assert "secure" not in attributes  # plain http (loopback development)
    assert f"max-age={SESSION_SECONDS}" in attributes
    home = await browser.get("/admin/", follow=True)
    assert home.status == 200 and "Phones" in home.text and ADMIN in home.text


async def test_over_https_the_cookie_is_secure(app: Starlette) -> None:
    browser = Browser(app, origin="https://phone.example.com")
    reply = await sign_in(browser, ADMIN, PASSWORD)
    cookie = next(c for c in reply.cookies() if c.startswith(SESSION_COOKIE))
    assert "secure" in cookie.lower()


async def test_sign_in_goes_back_where_it_was_asked_for_but_never_off_site(
    browser: Browser,
) -> None:
    first = await browser.get("/admin/calls?direction=incoming")
    assert first.status == 303
    assert first.header("location") == "/admin/login?next=/admin/calls%3Fdirection%3Dincoming"
    reply = await sign_in(browser, ADMIN, PASSWORD, next_="/admin/calls?direction=incoming")
    assert reply.header("location") == "/admin/calls?direction=incoming"
    browser.jar.clear()
    reply = await sign_in(browser, ADMIN, PASSWORD, next_="//evil.example/admin")
    assert reply.header("location") == "/admin/"


@pytest.mark.parametrize(("name", "password"), [(ADMIN, "wrong password"), ("nobody", PASSWORD)])
async def test_a_wrong_name_or_password_is_refused(
    browser: Browser, name: str, password: str
) -> None:
    reply = await sign_in(browser, name, password)
    assert reply.status == 401
    assert "Wrong name or password." in reply.text
    assert SESSION_COOKIE not in browser.jar


async def test_five_failures_lock_the_account_with_a_clear_message(
    browser: Browser, db: Database
) -> None:
    for _ in range(5):
        reply = await sign_in(browser, ADMIN, "not it at all")
    assert "This account is locked" in reply.text
    # Even the right password is refused while locked, and the page says until when.
    reply = await sign_in(browser, ADMIN, PASSWORD)
    assert reply.status == 401
    text = reply.text
    assert "This account is locked" in text and "webphone admin passwd ada" in text
    assert "Try again in 15 minutes" in text
    assert SESSION_COOKIE not in browser.jar
    user = db.admin_users.get(ADMIN)
    assert user is not None and user.locked_until is not None
    assert user.locked_until > datetime.now(UTC) + timedelta(minutes=14)


@pytest.mark.parametrize("token", [None, "", "forged", "ünïcode"])
async def test_the_sign_in_form_needs_its_token(browser: Browser, token: str | None) -> None:
    await browser.get("/admin/login")
    form = {"name": ADMIN, "password": PASSWORD}
    if token is not None:
        form["csrf"] = token
    reply = await browser.post("/admin/login", form)
    assert reply.status == 403 and SESSION_COOKIE not in browser.jar


async def test_a_sign_in_token_without_its_cookie_is_refused(browser: Browser) -> None:
    page = await browser.get("/admin/login")
    browser.jar.pop(LOGIN_COOKIE)
    reply = await browser.post(
        "/admin/login", {"csrf": csrf_of(page), "name": ADMIN, "password": PASSWORD}
    )
    assert reply.status == 403


async def test_pages_need_a_session(browser: Browser) -> None:
    for path in (
        "/admin/",
        "/admin/components",
        "/admin/calls",
        "/admin/reports",
        "/admin/sip-users",
        "/admin/live",
        "/admin/calls.csv",
    ):
        reply = await browser.get(path)
        assert reply.status == 303
        assert (reply.header("location") or "").startswith("/admin/login")
    assert (await browser.get("/admin/live.json")).status == 401
    reply = await browser.post("/admin/components/new", {"id": "x", "width": "300"})
    assert reply.status == 403


@pytest.mark.parametrize("token", [None, "", "wrong", "ünïcode"])
async def test_every_post_needs_the_sessions_csrf_token(admin: Browser, token: str | None) -> None:
    form = {"id": "sales", "width": "300"}
    if token is not None:
        form["csrf"] = token
    for path in ("/admin/components/new", "/admin/sip-users", "/admin/logout"):
        reply = await admin.post(path, form)
        assert reply.status == 403, path
        assert "did not come from this admin" in reply.text
    assert (await admin.get("/admin/components")).status == 200  # still signed in


async def test_a_post_from_another_site_is_refused_even_with_the_token(admin: Browser) -> None:
    page = await admin.get("/admin/components/new")
    form = {"csrf": csrf_of(page), "id": "sales", "width": "300"}
    reply = await admin.post(
        "/admin/components/new", form, headers={"origin": "https://evil.example"}
    )
    assert reply.status == 403
    assert (await admin.post("/admin/components/new", form)).status == 303


async def test_a_token_of_another_session_does_not_count(admin: Browser, app: Starlette) -> None:
    other = Browser(app)
    await sign_in(other, ADMIN, PASSWORD)
    token = csrf_of(await other.get("/admin/components"))
    reply = await admin.post("/admin/components/new", {"csrf": token, "id": "x", "width": "300"})
    assert reply.status == 403


async def test_signing_out_ends_the_session(admin: Browser) -> None:
    cookie = admin.jar[SESSION_COOKIE]
    token = csrf_of(await admin.get("/admin/components"))
    reply = await admin.post("/admin/logout", {"csrf": token})
    assert (reply.status, reply.header("location")) == (303, "/admin/login?bye=1")
    assert SESSION_COOKIE not in admin.jar
    assert "You are signed out." in (await admin.get("/admin/login?bye=1")).text
    admin.jar[SESSION_COOKIE] = cookie  # the old cookie, kept by an attacker
    assert (await admin.get("/admin/components")).status == 303


async def test_a_new_password_ends_old_sessions(admin: Browser, db: Database) -> None:
    assert (await admin.get("/admin/components")).status == 200
    db.admin_users.set_password(ADMIN, "another good password")
    assert (await admin.get("/admin/components")).status == 303


async def test_tampered_and_expired_cookies_are_refused(admin: Browser, tmp_path: Path) -> None:
    cookie = admin.jar[SESSION_COOKIE]
    payload, signature = cookie.split(".")
    for bad in (f"{payload}x.{signature}", f"{payload}.{signature[:-2]}", "junk", "a.b.c"):
        admin.jar[SESSION_COOKIE] = bad
        assert (await admin.get("/admin/components")).status == 303
    signer = Signer(load_secret(tmp_path))
    old = signer.issue(ADMIN, "x", now=datetime.now(UTC).timestamp() - SESSION_SECONDS - 1)
    assert signer.read(old) is None


def test_the_secret_is_made_once_and_private(tmp_path: Path) -> None:
    secret = load_secret(tmp_path / "data")
    path = tmp_path / "data" / "admin-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(tmp_path / "data") == secret and len(secret) == 32


async def test_admin_pages_cannot_be_framed_or_cached(admin: Browser) -> None:
    reply = await admin.get("/admin/components")
    assert reply.header("x-frame-options") == "DENY"
    assert "frame-ancestors 'none'" in (reply.header("content-security-policy") or "")
    assert "script-src 'self'" in (reply.header("content-security-policy") or "")
    assert reply.header("cache-control") == "no-store"
