"""The registrar alone (sans-IO): expiry rules, several contacts, removal, flows, the heap."""

from __future__ import annotations

import pytest

from webphone.sip import Headers, Request, parse_uri
from webphone.sipserver import Origin, Registrar

UDP = Origin("UDP", ("192.0.2.1", 5070))
WS = Origin("WS", ("127.0.0.1", 40000), "ws-1")


def register(
    *contacts: str, expires: int | None = None, cseq: int = 1, call_id: str = "reg-1"
) -> Request:
    """A REGISTER built from header lines directly: `parse` would refuse some bad Contacts
    before the registrar sees them, and the registrar must cope on its own."""
    headers = [
        ("Via", "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK-1"),
        ("From", "<sip:alice@example.com>;tag=a"),
        ("To", "<sip:alice@example.com>"),
        ("Call-ID", call_id),
        ("CSeq", f"{cseq} REGISTER"),
        *(("Contact", c) for c in contacts),
        *([("Expires", str(expires))] if expires is not None else []),
        ("Content-Length", "0"),
    ]
    return Request("REGISTER", parse_uri("sip:example.com"), Headers(headers))


def expiries(registrar: Registrar, now: float) -> dict[str, int]:
    return {str(b.uri): b.remaining(now) for b in registrar.lookup("alice", now)}


@pytest.mark.parametrize(
    ("contact", "expires", "kept"),
    [
        ("<sip:a@192.0.2.1>", None, 3600),  # the default
        ("<sip:a@192.0.2.1>", 120, 120),  # the Expires header
        ("<sip:a@192.0.2.1>;expires=90", 120, 90),  # the Contact parameter wins
        ("<sip:a@192.0.2.1>", 999_999, 3600),  # shortened to the maximum
        ("<sip:a@192.0.2.1>;expires=60", None, 60),  # the minimum is allowed
    ],
)
def test_expiry_rules(contact: str, expires: int | None, kept: int) -> None:
    registrar = Registrar()
    result = registrar.register(register(contact, expires=expires), "alice", UDP, 0.0)
    assert result.status == 200
    assert expiries(registrar, 0.0) == {"sip:a@192.0.2.1": kept}
    assert result.headers == (("Contact", f"<sip:a@192.0.2.1>;expires={kept}"),)


def test_too_brief_is_423_and_changes_nothing() -> None:
    registrar = Registrar()
    request = register("<sip:a@192.0.2.1>", "<sip:b@192.0.2.1>;expires=59", expires=300)
    result = registrar.register(request, "alice", UDP, 0.0)
    assert (result.status, result.headers) == (423, (("Min-Expires", "60"),))
    assert registrar.lookup("alice", 0.0) == []


def test_several_contacts_refresh_and_removing_one() -> None:
    registrar = Registrar()
    registrar.register(register("<sip:a@192.0.2.1>", "<sip:b@192.0.2.1>"), "alice", UDP, 0.0)
    assert len(registrar) == 2
    refreshed = register("<sip:a@192.0.2.1>", expires=100, cseq=2)
    registrar.register(refreshed, "alice", UDP, 10.0)
    assert expiries(registrar, 10.0) == {"sip:a@192.0.2.1": 100, "sip:b@192.0.2.1": 3590}
    removed = registrar.register(register("<sip:b@192.0.2.1>;expires=0", cseq=3), "alice", UDP, 20)
    assert removed.headers == (("Contact", "<sip:a@192.0.2.1>;expires=90"),)


def test_star_removes_all_only_with_expires_zero_and_alone() -> None:
    registrar = Registrar()
    registrar.register(register("<sip:a@192.0.2.1>", "<sip:b@192.0.2.1>"), "alice", UDP, 0.0)
    assert registrar.register(register("*", expires=300, cseq=2), "alice", UDP, 1).status == 400
    assert registrar.register(register("*", cseq=2), "alice", UDP, 1).status == 400
    both = register("*", "<sip:c@192.0.2.1>", expires=0, cseq=2)
    assert registrar.register(both, "alice", UDP, 1).status == 400
    cleared = registrar.register(register("*", expires=0, cseq=3), "alice", UDP, 1)
    assert (cleared.status, cleared.headers) == (200, ())
    assert len(registrar) == 0


def test_out_of_order_register_is_500_and_a_new_call_id_is_fine() -> None:
    registrar = Registrar()
    registrar.register(register("<sip:a@192.0.2.1>", cseq=5), "alice", UDP, 0.0)
    assert registrar.register(register("<sip:a@192.0.2.1>", cseq=5), "alice", UDP, 1).status == 500
    other = register("<sip:a@192.0.2.1>", cseq=1, call_id="reg-2")
    assert registrar.register(other, "alice", UDP, 1).status == 200


def test_bad_contact_is_400() -> None:
    registrar = Registrar()
    for contact in ("<sip:a@192.0.2.1>;expires=soon", "<tel:+123>", "not an address <"):
        result = registrar.register(register(contact), "alice", UDP, 0.0)
        assert result.status == 400, contact


def test_outbound_bindings_follow_instance_and_reg_id_and_their_flow() -> None:
    registrar = Registrar()
    instance = '+sip.instance="<urn:uuid:00000000-0000-4000-8000-000000000001>";reg-id=1'
    first = register(f"<sip:x@aaaa.invalid;transport=ws>;{instance}")
    supported = first.headers.mutable()
    supported.add("Supported", "path, outbound")
    result = registrar.register(first.with_headers(supported), "alice", WS, 0.0)
    assert ("Require", "outbound") in result.headers
    binding = registrar.by_invalid_host("AAAA.invalid")
    assert binding is not None and binding.origin == WS
    # The same instance and reg-id from a new flow replaces the binding (RFC 5626 §6).
    other_flow = Origin("WS", ("127.0.0.1", 40001), "ws-2")
    again = register(f"<sip:y@bbbb.invalid;transport=ws>;{instance}", cseq=2)
    registrar.register(again, "alice", other_flow, 1.0)
    assert len(registrar) == 1 and registrar.by_invalid_host("aaaa.invalid") is None
    assert registrar.flow_closed("ws-1") == 0
    assert registrar.flow_closed("ws-2") == 1
    assert (
        registrar.lookup("alice", 2.0) == [] and registrar.by_invalid_host("bbbb.invalid") is None
    )


def test_expired_bindings_are_swept_and_not_returned() -> None:
    registrar = Registrar()
    registrar.register(register("<sip:a@192.0.2.1>", expires=60), "alice", UDP, 0.0)
    registrar.register(register("<sip:a@192.0.2.1>", expires=120, cseq=2), "alice", UDP, 30.0)
    assert registrar.next_expiry() == 60.0  # the stale entry of the first registration
    assert registrar.sweep(60.0) == 0  # ... which the refresh replaced
    assert registrar.lookup("alice", 149.0) != []
    assert registrar.sweep(150.0) == 1
    assert registrar.lookup("alice", 150.0) == [] and registrar.next_expiry() is None


def test_contact_limit() -> None:
    registrar = Registrar()
    contacts = [f"<sip:a{i}@192.0.2.1>" for i in range(33)]
    assert registrar.register(register(*contacts), "alice", UDP, 0.0).status == 403
    assert registrar.register(register(*contacts[:32]), "alice", UDP, 0.0).status == 200
