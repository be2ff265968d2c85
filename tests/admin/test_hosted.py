"""The hosted page /p/ID: the component's phone with its public fields, 404 for unknown ids."""

from __future__ import annotations

import pytest

from webphone.store import Database

from .client import Browser


@pytest.mark.parametrize("path", ["/p/nope", "/p/NOPE", "/p/a%20b", "/p/" + "x" * 80])
async def test_unknown_ids_are_404(browser: Browser, path: str) -> None:
    reply = await browser.get(path)
    assert reply.status == 404 and "No such phone" in reply.text
    assert reply.header("content-type") == "text/html; charset=utf-8"


async def test_the_page_has_the_phone_with_its_public_fields_only(
    browser: Browser, db: Database
) -> None:
    db.components.create(
        "sales",
        {
            "width": 280,
            "show_dialpad": False,
            "show_hold": False,
            "auto_register": True,
            "username": "alice",
            "password": "S3cret-Sauce!",
            "realm": "sip.example.com",
            "display_name": "Sales desk",
            "cli": "+442071234567",
            "sip_servers": "wss://sip.example.com/ws",
            "allowed_destinations": "support",
            "allowed_origins": "https://shop.example.com",
        },
    )
    reply = await browser.get("/p/sales")  # no sign-in needed: it is public
    assert reply.status == 200
    text = reply.text
    assert '<script type="module" src="/webphone.js"></script>' in text
    tag = text.split("<web-phone", 1)[1].split(">", 1)[0]
    assert 'component="sales"' in tag and 'width="280"' in tag and "auto-register" in tag
    assert 'show-dialpad="false"' in tag and 'show-hold="false"' in tag
    assert 'show-dial="true"' in tag and 'show-status="true"' in tag
    assert "hidden" not in tag
    for secret in ("S3cret-Sauce!", "alice", "sip.example.com", "Sales desk", "+4420", "support",
                   "shop.example.com"):  # fmt: skip
        assert secret not in text


async def test_preview_has_no_component_and_hidden_says_so(browser: Browser, db: Database) -> None:
    db.components.create("quiet", {"hidden": True, "auto_register": True})
    tag = (await browser.get("/p/quiet?preview=1")).text.split("<web-phone", 1)[1].split(">")[0]
    assert "component=" not in tag and "auto-register" not in tag and " hidden" in tag
    page = await browser.get("/p/quiet")
    assert 'component="quiet"' in page.text and "This phone is hidden" in page.text
