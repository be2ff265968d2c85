"""SIP users: add, reset a password, remove, and who is registered now."""

from __future__ import annotations

import html
import re

from webphone.sip import Headers, Request, parse_uri
from webphone.sipserver import Origin, Registrar
from webphone.store import Database
from webphone.web.admin import Registration

from .client import Browser, Reply, csrf_of


def shown_password(page: Reply) -> str:
    match = re.search(r'<code class="secret" id="new-password">([^<]+)</code>', page.text)
    assert match, "no password shown"
    return html.unescape(match.group(1))


async def post(admin: Browser, path: str, form: dict[str, str] | None = None) -> Reply:
    token = csrf_of(await admin.get("/admin/sip-users"))
    return await admin.post(path, {"csrf": token, **(form or {})})


async def test_add_with_a_generated_password_shown_once(admin: Browser, db: Database) -> None:
    reply = await post(admin, "/admin/sip-users", {"name": "carol", "password": ""})
    assert reply.status == 200 and "Added" in reply.text
    password = shown_password(reply)
    assert len(password) >= 16 and db.sip_users.get_password("carol") == password
    again = await admin.get("/admin/sip-users")
    assert password not in again.text and "carol" in again.text


async def test_add_with_a_chosen_password(admin: Browser, db: Database) -> None:
    reply = await post(admin, "/admin/sip-users", {"name": "dave", "password": "dave-pw"})
    assert shown_password(reply) == "dave-pw" and db.sip_users.get_password("dave") == "dave-pw"


async def test_bad_and_taken_names_are_errors_on_the_name(admin: Browser, db: Database) -> None:
    db.sip_users.add("erin", "x")
    reply = await post(admin, "/admin/sip-users", {"name": "erin", "password": ""})
    assert (
        reply.status == 400 and 'id="name-error"' in reply.text and "exists already" in reply.text
    )
    reply = await post(admin, "/admin/sip-users", {"name": "no spaces", "password": ""})
    assert reply.status == 400 and 'id="name-error"' in reply.text and "bad user name" in reply.text
    assert "no spaces" not in db.sip_users


async def test_reset_password(admin: Browser, db: Database) -> None:
    db.sip_users.add("frank", "old-password")
    reply = await post(admin, "/admin/sip-users/frank/password")
    assert reply.status == 200 and "New password for" in reply.text
    assert db.sip_users.get_password("frank") == shown_password(reply) != "old-password"
    assert (await post(admin, "/admin/sip-users/nobody/password")).status == 404


async def test_remove(admin: Browser, db: Database) -> None:
    db.sip_users.add("gina", "pw")
    token = csrf_of(await admin.get("/admin/sip-users"))
    reply = await admin.post("/admin/sip-users/gina/delete", {"csrf": token}, follow=True)
    assert reply.status == 200 and "Removed the user “gina”" in reply.text
    assert "gina" not in db.sip_users
    assert (await admin.post("/admin/sip-users/gina/delete", {"csrf": token})).status == 404


async def test_registered_now(
    admin: Browser, db: Database, registrations: list[Registration]
) -> None:
    db.sip_users.add("alice", "pw")
    db.sip_users.add("bob", "pw")
    registrations.append(
        Registration("alice", "sip:x1@abc.invalid;transport=ws", "WS", "127.0.0.1:40000", 290)
    )
    page = await admin.get("/admin/sip-users")
    assert "2 users, 1 registered now." in page.text
    alice = page.text.split(">alice<", 1)[1].split("</tr>", 1)[0]
    assert "registered" in alice and "abc.invalid" in alice and "4 min 50 s left" in alice
    bob = page.text.split(">bob<", 1)[1].split("</tr>", 1)[0]
    assert "offline" in bob


def test_the_registrar_lists_its_current_bindings() -> None:
    registrar = Registrar()
    origin = Origin("WS", ("127.0.0.1", 40000), "ws-1")
    headers = Headers(
        [
            ("Via", "SIP/2.0/WS abc.invalid;branch=z9hG4bK-1"),
            ("From", "<sip:alice@example.com>;tag=a"),
            ("To", "<sip:alice@example.com>"),
            ("Call-ID", "reg-1"),
            ("CSeq", "1 REGISTER"),
            ("Contact", "<sip:x1@abc.invalid;transport=ws>;expires=120"),
            ("Content-Length", "0"),
        ]
    )
    request = Request("REGISTER", parse_uri("sip:example.com"), headers)
    assert registrar.register(request, "alice", origin, 0.0).status == 200
    (binding,) = registrar.current(10.0)
    assert (binding.user, str(binding.uri), binding.remaining(10.0)) == (
        "alice", "sip:x1@abc.invalid;transport=ws", 110
    )  # fmt: skip
    assert registrar.current(200.0) == [] and len(registrar) == 1  # read-only: not swept
