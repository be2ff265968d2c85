"""Saved components on both backends: CRUD, defaults, validation that names the field, the
public view and the dial policy's patterns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webphone.store import (
    Database,
    ExistsError,
    NotFoundError,
    ValidationError,
    destination_allowed,
    public_fields,
)
from webphone.store.component_fields import DEFAULTS, FIELDS, validate_fields, validate_id
from webphone.store.models import Component, column_names

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

SALES = {
    "width": 320,
    "show_hold": False,
    "auto_register": True,
    "sip_servers": "wss://pbx1.example.com:7443/ws, wss://pbx2.example.com",
    "realm": "example.com",
    "display_name": "Sales line",
    "cli": "+442071234567",
    "username": "sales",
    "password": "s3cret",
    "allowed_origins": ["https://Shop.example.com/", "http://localhost:8080"],
    "allowed_destinations": "+4420*\nsales\n1???@pbx.example.com",
    "max_concurrent_calls": 3,
    "calls_per_hour_per_visitor": 10,
}


def test_every_column_is_a_field() -> None:
    own = {"id", "created_at", "updated_at"}
    assert set(column_names(Component)) - own == set(FIELDS)
    assert set(DEFAULTS) <= set(FIELDS)


def test_create_get_list_update_delete(db: Database) -> None:
    components = db.components
    created = components.create("sales", SALES, now=NOW)
    components.create("support")
    assert created.created_at == created.updated_at == NOW
    sales = components.get("sales")
    assert sales is not None
    assert sales.width == 320 and sales.show_hold is False and sales.show_dialpad is True
    assert sales.sip_servers == "wss://pbx1.example.com:7443/ws,wss://pbx2.example.com"
    assert sales.allowed_origins == "https://shop.example.com\nhttp://localhost:8080"
    assert sales.password == "s3cret" and "s3cret" not in repr(sales)
    assert sales.created_at == NOW
    support = components.get("support")
    assert support is not None
    assert {name: getattr(support, name) for name in DEFAULTS} == DEFAULTS
    assert support.realm is None and support.max_concurrent_calls is None
    assert [c.id for c in components.list()] == ["sales", "support"]

    later = datetime(2026, 11, 27, tzinfo=UTC)
    updated = components.update("sales", {"width": 400, "realm": None}, now=later)
    assert updated.width == 400 and updated.realm is None and updated.updated_at == later
    again = components.get("sales")
    assert again is not None and again.width == 400 and again.cli == "+442071234567"
    assert again.created_at == NOW and again.updated_at == later

    with pytest.raises(ExistsError):
        components.create("sales")
    with pytest.raises(NotFoundError):
        components.update("nope", {"width": 300})
    components.delete("support")
    assert components.get("support") is None
    with pytest.raises(NotFoundError):
        components.delete("support")


def test_a_bad_update_changes_nothing(db: Database) -> None:
    db.components.create("sales", SALES)
    with pytest.raises(ValidationError):
        db.components.update("sales", {"width": 500, "realm": "not a host"})
    sales = db.components.get("sales")
    assert sales is not None and sales.width == 320 and sales.realm == "example.com"


def test_the_public_view_has_no_secrets(db: Database) -> None:
    shown = public_fields(db.components.create("sales", SALES))
    assert shown["id"] == "sales" and shown["width"] == 320 and shown["show_hold"] is False
    for secret in ("password", "username", "sip_servers", "allowed_destinations", "realm"):
        assert secret not in shown
    assert "s3cret" not in repr(shown)


@pytest.mark.parametrize(
    "slug", ["", "Sales", "sales line", "-sales", "sales-", "a" * 65, "sales/x", "säles", "a_b"]
)
def test_bad_ids_are_refused(slug: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_id(slug)
    assert caught.value.field == "id"


def test_create_checks_the_id(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        db.components.create("Sales")
    assert caught.value.field == "id" and db.components.list() == []


@pytest.mark.parametrize("slug", ["a", "sales", "click-to-call-2", "x" * 64])
def test_good_ids(slug: str) -> None:
    assert validate_id(slug) == slug


BAD_FIELDS = [
    ("width", 199),
    ("width", 1201),
    ("width", "300"),
    ("width", True),
    ("show_dialpad", "yes"),
    ("show_dialpad", 1),
    ("hidden", None),
    ("sip_servers", "ws://pbx.example.com"),  # plain ws:// only on loopback
    ("sip_servers", "https://pbx.example.com"),
    ("sip_servers", "wss://"),
    ("sip_servers", "wss://pbx.example.com:99999"),
    ("sip_servers", "wss://pbx.example.com/ws?x=1"),
    ("sip_servers", "wss://bad_host!"),
    ("sip_servers", "wss://[::1"),
    ("allowed_origins", "https://[::1"),
    ("sip_servers", 42),
    ("realm", "exa mple.com"),
    ("realm", "-example.com"),
    ("realm", "a" * 254),
    ("display_name", "x" * 129),
    ("display_name", "line\nbreak"),
    ("cli", "sales@example.com"),
    ("username", "a b"),
    ("password", "x" * 257),
    ("allowed_origins", "https://shop.example.com/path"),
    ("allowed_origins", "ftp://shop.example.com"),
    ("allowed_origins", "shop.example.com"),
    ("allowed_destinations", "sip:bob@example.com"),
    ("allowed_destinations", "[0-9]*"),
    ("max_concurrent_calls", 0),
    ("max_concurrent_calls", 100_001),
    ("calls_per_hour_per_visitor", 2.5),
    ("no_such_field", 1),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_validation_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_fields({"width": 300, field: value})
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}=")


def test_validation_on_create_and_passwords_are_not_echoed(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        db.components.create("sales", {"password": "secret\x00" + "x" * 300})
    assert caught.value.field == "password" and "secret" not in str(caught.value)
    assert db.components.list() == []


GOOD_FIELDS = [
    ("sip_servers", "ws://127.0.0.1:8080/sip", "ws://127.0.0.1:8080/sip"),
    ("sip_servers", ["wss://a.example.com", " wss://b.example.com "], "wss://a.example.com,wss://b.example.com"),
    ("sip_servers", "", ""),
    ("realm", "192.0.2.1", "192.0.2.1"),
    ("realm", "", None),
    ("allowed_origins", "*", "*"),
    ("allowed_destinations", "+44*, 100?\n*@example.com", "+44*\n100?\n*@example.com"),
    ("max_concurrent_calls", None, None),
    ("display_name", "Zoë's desk", "Zoë's desk"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "stored"), GOOD_FIELDS)
def test_values_are_stored_normalised(field: str, value: object, stored: object) -> None:
    assert validate_fields({field: value}) == {field: stored}


@pytest.mark.parametrize(
    ("destination", "allowed"),
    [
        ("+442071234567", True),
        ("sip:+442071234567@pbx.example.com", True),
        ("Sales", True),
        ("1234@pbx.example.com", True),
        ("1234@other.example.com", False),
        ("12345@pbx.example.com", False),
        ("+33123456789", False),
        ("support", False),
    ],
)
def test_destination_patterns(destination: str, allowed: bool) -> None:
    patterns = SALES["allowed_destinations"]
    assert validate_fields({"allowed_destinations": patterns}) == {"allowed_destinations": patterns}
    assert destination_allowed(str(patterns), destination) is allowed
    assert destination_allowed("", destination)  # no patterns: no limit


def test_deleting_a_component_keeps_its_calls(db: Database) -> None:
    db.components.create("sales")
    row_id = db.cdrs.start({"call_id": "c1", "direction": "outgoing"}, component_id="sales")
    db.components.delete("sales")
    row = db.cdrs.get(row_id)
    assert row is not None and row.component_id is None
