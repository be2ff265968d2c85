"""The phone builder: every Config field saved and validated by name, edit, copy, delete, the
preview and embed code, and the saved password never sent to the browser."""

from __future__ import annotations

import html

import pytest

from webphone.store import Component, Database

from .client import Browser, Reply, csrf_of

SECRET = "S3cret-Sauce!"

#: Every field of the form, as a browser posts it (show_hold off: unchecked boxes are absent).
FULL = {
    "id": "sales",
    "width": "320",
    "show_dialpad": "on",
    "show_dialled_number": "on",
    "show_answer": "on",
    "show_hangup": "on",
    "show_mute": "on",
    "show_dial": "on",
    "show_status": "on",
    "auto_register": "on",
    "sip_servers": "wss://a.example.com/ws, wss://b.example.com:8443/ws",
    "realm": "sip.example.com",
    "display_name": "Sales desk",
    "cli": "+442071234567",
    "username": "alice",
    "password": SECRET,
    "allowed_origins": "https://shop.example.com\r\nhttps://www.example.com",
    "allowed_destinations": "+4420*\r\nsales",
    "max_concurrent_calls": "3",
    "calls_per_hour_per_visitor": "12",
}


def saved(db: Database, component_id: str) -> Component:
    component = db.components.get(component_id)
    assert component is not None, f"no component {component_id}"
    return component


async def post_new(admin: Browser, form: dict[str, str]) -> Reply:
    token = csrf_of(await admin.get("/admin/components/new"))
    return await admin.post("/admin/components/new", {"csrf": token, **form})


async def test_no_phones_yet_says_what_to_do(admin: Browser) -> None:
    page = await admin.get("/admin/components")
    assert page.status == 200 and "No phones yet" in page.text and "New phone" in page.text


async def test_every_field_is_saved(admin: Browser, db: Database) -> None:
    reply = await post_new(admin, FULL)
    assert (reply.status, reply.header("location")) == (303, "/admin/components/sales/edit?saved=1")
    c = db.components.get("sales")
    assert c is not None
    assert c.width == 320
    assert (c.show_dialpad, c.show_dialled_number, c.show_answer, c.show_hangup) == (True,) * 4
    assert (c.show_hold, c.show_mute, c.show_dial, c.show_status) == (False, True, True, True)
    assert c.auto_register is True and c.hidden is False
    assert c.sip_servers == "wss://a.example.com/ws,wss://b.example.com:8443/ws"
    assert (c.realm, c.display_name, c.cli, c.username) == (
        "sip.example.com", "Sales desk", "+442071234567", "alice"
    )  # fmt: skip
    assert c.password == SECRET
    assert c.allowed_origins == "https://shop.example.com\nhttps://www.example.com"
    assert c.allowed_destinations == "+4420*\nsales"
    assert (c.max_concurrent_calls, c.calls_per_hour_per_visitor) == (3, 12)
    page = await admin.get("/admin/components/sales/edit?saved=1")
    assert "Saved." in page.text
    listing = await admin.get("/admin/components")
    assert "alice@sip.example.com" in listing.text and "320 px, 7 of 8 controls" in listing.text


async def test_hidden_and_no_limits(admin: Browser, db: Database) -> None:
    form = {"id": "headless", "width": "300", "hidden": "on"}
    assert (await post_new(admin, form)).status == 303
    c = db.components.get("headless")
    assert c is not None and c.hidden is True and c.show_dialpad is False
    assert (c.max_concurrent_calls, c.calls_per_hour_per_visitor, c.password) == (None, None, None)


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("id", "Bad ID!", "lower-case letters"),
        ("width", "50", "from 200 to 1200"),
        ("width", "wide", "whole number"),
        ("sip_servers", "https://sip.example.com", "expected wss://"),
        ("sip_servers", "wss://ok.example.com, ws://far.example.com", "ws://far.example.com"),
        ("realm", "not a realm!", "host name"),
        ("display_name", "x" * 200, "at most 128"),
        ("cli", "+44 20", "must not contain"),
        ("username", "al@ice", "must not contain"),
        ("allowed_origins", "ftp://shop.example.com", "https://host"),
        ("allowed_destinations", "sales; rm -rf", "number or user name"),
        ("max_concurrent_calls", "0", "from 1 to"),
        ("calls_per_hour_per_visitor", "lots", "whole number"),
    ],
)
async def test_a_bad_field_is_named_next_to_it(
    admin: Browser, db: Database, field: str, value: str, why: str
) -> None:
    reply = await post_new(admin, FULL | {field: value})
    assert reply.status == 400
    error = f'<p class="field-error" id="{field}-error">'
    assert error in reply.text, reply.text
    message = reply.text.split(error, 1)[1].split("</p>", 1)[0]
    assert why in html.unescape(message)
    assert f'id="{field}"' in reply.text and 'aria-invalid="true"' in reply.text
    assert reply.text.count('class="field-error"') == 1  # only the bad field
    assert db.components.list() == []
    assert SECRET not in reply.text  # the typed password is not echoed back either


async def test_all_bad_fields_are_named_at_once(admin: Browser) -> None:
    reply = await post_new(admin, FULL | {"width": "5", "realm": "x y", "cli": "a b"})
    assert reply.status == 400 and "correct the 3 field(s)" in reply.text
    for field in ("width", "realm", "cli"):
        assert f'id="{field}-error"' in reply.text


async def test_a_taken_id_is_an_error_on_the_id(admin: Browser) -> None:
    assert (await post_new(admin, FULL)).status == 303
    reply = await post_new(admin, FULL | {"width": "400"})
    assert reply.status == 400 and 'id="id-error"' in reply.text and "exists already" in reply.text


async def test_editing_keeps_the_password_unless_a_new_one_is_typed(
    admin: Browser, db: Database
) -> None:
    await post_new(admin, FULL)
    page = await admin.get("/admin/components/sales/edit")
    assert page.status == 200 and 'placeholder="unchanged"' in page.text
    assert 'name="id" type="text" value="sales" aria-describedby="id-hint" readonly' in page.text
    form = FULL | {"csrf": csrf_of(page), "password": "", "width": "480", "realm": ""}
    reply = await admin.post("/admin/components/sales/edit", form)
    assert reply.status == 303
    c = db.components.get("sales")
    assert c is not None and (c.password, c.width, c.realm) == (SECRET, 480, None)

    form |= {"password": "a-new-one"}
    await admin.post("/admin/components/sales/edit", form)
    assert saved(db, "sales").password == "a-new-one"

    form |= {"password": "", "forget_password": "on"}
    await admin.post("/admin/components/sales/edit", form)
    assert saved(db, "sales").password is None
    page = await admin.get("/admin/components/sales/edit")
    assert 'placeholder="no password saved"' in page.text and "forget_password" not in page.text


async def test_an_edit_with_errors_changes_nothing(admin: Browser, db: Database) -> None:
    await post_new(admin, FULL)
    token = csrf_of(await admin.get("/admin/components/sales/edit"))
    form = FULL | {"csrf": token, "width": "9000", "display_name": "Changed"}
    reply = await admin.post("/admin/components/sales/edit", form)
    assert reply.status == 400 and 'id="width-error"' in reply.text
    assert 'value="Changed"' in reply.text  # what was typed is kept in the form
    assert saved(db, "sales").display_name == "Sales desk"


async def test_copy_makes_a_new_phone_with_the_same_account(admin: Browser, db: Database) -> None:
    await post_new(admin, FULL)
    page = await admin.get("/admin/components/sales/copy")
    assert page.status == 200 and 'value="sales-copy"' in page.text
    assert 'placeholder="same as sales"' in page.text and SECRET not in page.text
    form = FULL | {"csrf": csrf_of(page), "id": "sales-copy", "password": "", "width": "280"}
    reply = await admin.post("/admin/components/sales/copy", form)
    assert reply.header("location") == "/admin/components/sales-copy/edit?saved=1"
    copy, source = db.components.get("sales-copy"), db.components.get("sales")
    assert copy is not None and source is not None
    assert (copy.password, copy.username, copy.width) == (SECRET, "alice", 280)
    assert source.width == 320


async def test_delete(admin: Browser, db: Database) -> None:
    await post_new(admin, FULL)
    token = csrf_of(await admin.get("/admin/components"))
    reply = await admin.post("/admin/components/sales/delete", {"csrf": token}, follow=True)
    assert reply.status == 200 and "Deleted the phone “sales”" in reply.text
    assert db.components.get("sales") is None
    assert (await admin.post("/admin/components/sales/delete", {"csrf": token})).status == 404
    assert (await admin.get("/admin/components/sales/edit")).status == 404
    assert (await admin.get("/admin/components/sales/copy")).status == 404


async def test_preview_snippet_and_hosted_link(admin: Browser) -> None:
    await post_new(admin, FULL)
    page = await admin.get("/admin/components/sales/edit")
    text = page.text
    assert '<script type="module" src="/webphone.js"></script>' in text
    preview = text.split('<web-phone id="preview"', 1)[1].split(">", 1)[0]
    assert 'width="320"' in preview and 'show-hold="false"' in preview
    assert 'show-dialpad="true"' in preview and "component" not in preview
    assert "alice" not in preview and "sip.example.com" not in preview
    snippet = html.unescape(text.split('id="snippet"', 1)[1].split("</code>", 1)[0])
    assert snippet.endswith(
        '<script type="module" src="http://127.0.0.1:8080/webphone.js"></script>\n'
        '<web-phone component="sales"></web-phone>'
    )
    assert 'href="/p/sales"' in text and "http://127.0.0.1:8080/p/sales" in text
    assert 'data-copy="#snippet"' in text and 'data-copy="#hosted-link"' in text


async def test_the_saved_password_is_in_no_response(admin: Browser, browser: Browser) -> None:
    assert (await post_new(admin, FULL)).status == 303
    token = csrf_of(await admin.get("/admin/components"))
    await admin.post("/admin/components/sales/copy", FULL | {"csrf": token, "id": "other"})
    bad = FULL | {"csrf": token, "width": "1"}
    replies = [
        await admin.post("/admin/components/sales/edit", bad),
        await admin.post("/admin/components/sales/copy", bad | {"id": "x"}),
    ]
    for path in (
        "/admin/", "/admin/components", "/admin/components/new", "/admin/components/sales/edit",
        "/admin/components/sales/copy", "/admin/components/other/edit", "/admin/calls",
        "/admin/calls.csv", "/admin/reports", "/admin/sip-users", "/admin/live",
        "/admin/live.json", "/p/sales", "/p/sales?preview=1", "/p/other",
    ):  # fmt: skip
        replies.append(await admin.get(path, follow=True))
    for reply in replies:
        assert reply.status in (200, 400), reply.url
        assert SECRET.encode() not in reply.body, reply.url
        assert html.escape(SECRET).encode() not in reply.body, reply.url
