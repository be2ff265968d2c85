"""REGISTER over a real WebSocket: digest, 403, 423, unregistering, bindings tied to the flow."""

from __future__ import annotations

import asyncio

from webphone.sip import MutableHeaders, Request, Response
from webphone.sip.builders import make_response, with_credentials
from webphone.sip.digest import parse_challenge_headers
from webphone.sipserver import SipServer

from .helpers import WsPhone, authorized, credentials


def contact_expiries(response: Response) -> list[int]:
    return sorted(c.expires or 0 for c in response.contacts)


async def test_register_with_digest(server: SipServer, ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        request = alice.register_request()
        await alice.send(request)
        challenge = await alice.response()
        assert challenge.status == 401
        offered = parse_challenge_headers(challenge.headers.get_all("WWW-Authenticate"))
        assert [c.algorithm for c in offered] == ["MD5", "SHA-256"]
        assert {c.realm for c in offered} == {"127.0.0.1"}  # the Request-URI's host
        for nc, algorithm in enumerate(("SHA-256", "MD5"), start=1):
            name, value = credentials(
                challenge, request, "alice", "alice-secret", algorithm=algorithm, nc=nc
            )
            await alice.send(with_credentials(request, alice.ids, name, value, cseq=1 + nc))
            ok = await alice.response()
            assert ok.status == 200, ok
        (contact,) = ok.contacts
        assert contact.uri == alice.config.contact
        assert 290 <= (contact.expires or 0) <= 300
        bindings = server.core.registrar.lookup("alice", 0)
        assert len(bindings) == 1 and bindings[0].origin.flow_id is not None


def _set(request: Request, name: str, value: str) -> MutableHeaders:
    headers = request.headers.mutable()
    headers.set(name, value)
    return headers


async def test_wrong_password_is_challenged_again(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice", password="wrong") as alice:
        response = await alice.register()
        assert response.status == 401
        assert "stale" not in (response.headers.get("WWW-Authenticate") or "")


async def test_unknown_user_is_challenged_again(ws_url: str) -> None:
    async with WsPhone(ws_url, "mallory", password="x") as mallory:
        assert (await mallory.register()).status == 401


async def test_registering_another_users_address_is_forbidden(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        alice.user, alice.password = "bob", "bob-secret"  # bob's valid credentials, alice's AoR
        response = await alice.register()
        assert response.status == 403


async def test_too_brief_interval_gets_423_with_min_expires(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        response = await alice.register(expires=30)
        assert response.status == 423
        assert response.headers.get("Min-Expires") == "60"
        assert (await alice.register(expires=60)).status == 200


async def test_long_interval_is_shortened_and_refresh_keeps_one_binding(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        first = await alice.register(expires=100_000)
        assert contact_expiries(first) == [3600]
        again = await alice.register(expires=120)
        assert len(again.contacts) == 1 and 110 <= contact_expiries(again)[0] <= 120


async def test_several_contacts_and_unregistering_one_then_all(
    server: SipServer, ws_url: str
) -> None:
    async with (
        WsPhone(ws_url, "bob", seed=1) as bob1,
        WsPhone(ws_url, "bob", seed=2) as bob2,
        WsPhone(ws_url, "bob", seed=3) as bob3,
    ):
        assert len((await bob1.register()).contacts) == 1
        assert len((await bob2.register()).contacts) == 2
        both = await bob3.register(expires=600)
        assert len(both.contacts) == 3
        removed = await bob1.register(expires=0)
        assert removed.status == 200
        assert {c.uri for c in removed.contacts} == {bob2.config.contact, bob3.config.contact}
        # `Contact: *` needs Expires: 0 (§10.2.2) ...
        star = bob2.register_request(expires=0)
        bad = star.with_headers(_set(star, "Contact", "*"))
        bad = bad.with_headers(_set(bad, "Expires", "300"))
        _, refused = await bob2.transact(bad)
        assert refused.status == 400
        # ... and then removes every binding
        bob2.cseq += 1
        star = bob2.register_request(expires=0)
        _, cleared = await bob2.transact(star.with_headers(_set(star, "Contact", "*")))
        assert cleared.status == 200 and cleared.contacts == ()
        assert server.core.registrar.lookup("bob", 0) == []


async def test_binding_goes_when_its_websocket_closes(server: SipServer, ws_url: str) -> None:
    async with WsPhone(ws_url, "bob") as bob:
        assert (await bob.register()).status == 200
        assert len(server.core.registrar.lookup("bob", 0)) == 1
    async with asyncio.timeout(5):
        while server.core.registrar.lookup("bob", 0):
            await asyncio.sleep(0.01)


async def test_garbage_and_late_parse_errors_do_not_hurt(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        await alice.send(b"NOT SIP AT ALL\r\n\r\n")
        await alice.send(b"\xff\xfe\x00garbage")
        request = alice.register_request()
        await alice.send(request.with_headers(_set(request, "Contact", "<sip:a@b>;expires=x")))
        challenge = await alice.response()  # bad Contact is only seen after authentication
        retry = authorized(challenge, request, alice.ids, "alice", "alice-secret")
        await alice.send(retry.with_headers(_set(retry, "Contact", "<sip:a@b>;expires=x")))
        bad = await alice.response()
        assert bad.status == 400
        assert (await alice.register()).status == 200


async def test_register_response_is_not_confused_by_a_stray_response(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        await alice.send(make_response(alice.register_request(), 200))  # dropped (RFC 6026)
        assert (await alice.register()).status == 200
