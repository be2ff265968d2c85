"""The test support itself, against the real programs: Kamailio over WebSocket and UDP, SIPp.

SIP here is raw text built in the test (the project's SIP core is not used on purpose), and
digest responses are computed with hashlib. Everything runs on 127.0.0.1 inside a
loopback-only network namespace; every test is bounded to 30 s by SIGALRM.

Run alone with:
    unshare --net sh -c 'ip link set lo up && exec .venv/bin/python -m pytest \
        tests/test_support.py -q'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from support.netns import (
    ENV_MARKER,
    NamespaceError,
    ensure_loopback_namespace,
    in_loopback_namespace,
    namespace_command,
    reexec_in_namespace,
)
from support.services import (
    SIPP_SCENARIOS,
    Kamailio,
    ServiceError,
    Sipp,
    find_program,
    free_port,
    parse_stat_csv,
    scenario_path,
    users_table,
)

USERS = {"alice": "alice-secret", "bob": "bob-secret"}


@pytest.fixture
def loopback_only() -> None:
    """Service tests run only in a network namespace that has nothing but `lo`."""
    if not in_loopback_namespace():
        pytest.fail(
            "not in a loopback-only network namespace; run as root:\n"
            "  unshare --net sh -c 'ip link set lo up && exec .venv/bin/python -m pytest "
            "tests/test_support.py'\n"
            "(or wire support.netns.ensure_loopback_namespace into pytest_configure)"
        )


# ---------------------------------------------------------------------------------------------
# A tiny SIP-over-WebSocket user agent: raw text in, raw text out


@dataclass
class Message:
    first_line: str
    headers: list[tuple[str, str]]
    body: str
    raw: str

    @classmethod
    def parse(cls, text: str) -> Message:
        head, _, body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        return cls(lines[0], headers, body, text)

    @property
    def is_request(self) -> bool:
        return not self.first_line.startswith("SIP/2.0 ")

    @property
    def method(self) -> str:
        if self.is_request:
            return self.first_line.split(" ", 1)[0]
        return self.header("CSeq").split()[1]

    @property
    def status(self) -> int:
        assert not self.is_request, self.raw
        return int(self.first_line.split()[1])

    @property
    def uri(self) -> str:
        assert self.is_request, self.raw
        return self.first_line.split()[1]

    def all(self, name: str) -> list[str]:
        """Every value of a header, comma-separated lists split (outside <> and quotes)."""
        values = []
        for header_name, value in self.headers:
            if header_name.lower() == name.lower():
                values.extend(_split_commas(value))
        return values

    def values(self, name: str) -> list[str]:
        """Every header line of that name, unsplit."""
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def header(self, name: str) -> str:
        values = self.values(name)
        assert values, f"no {name} header in:\n{self.raw}"
        return values[0]

    def has(self, name: str) -> bool:
        return bool(self.values(name))


def _split_commas(value: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(value):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(value[start:index].strip())
            start = index + 1
    parts.append(value[start:].strip())
    return [part for part in parts if part]


def _uri_in(name_addr: str) -> str:
    match = re.search(r"<([^>]*)>", name_addr)
    return match.group(1) if match else name_addr.split(";", maxsplit=1)[0].strip()


def _tag(name_addr: str) -> str | None:
    match = re.search(r";\s*tag=([^;>\s]+)\s*$", name_addr.rsplit(">", maxsplit=1)[-1])
    return match.group(1) if match else None


def _digest_params(challenge: str) -> dict[str, str]:
    assert challenge.startswith("Digest "), challenge
    return {
        key.lower(): quoted if quoted else plain
        for key, quoted, plain in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', challenge)
    }


def digest_credentials(
    challenge: str, method: str, uri: str, user: str, password: str, nc: int = 1
) -> str:
    """An Authorization / Proxy-Authorization value answering `challenge` (MD5, qop=auth)."""
    params = _digest_params(challenge)
    realm, nonce = params["realm"], params["nonce"]

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    value = f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
    if "auth" in params.get("qop", "").split(","):
        cnonce = secrets.token_hex(8)
        response = md5(f"{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}")
        value += f', response="{response}", algorithm=MD5, qop=auth, nc={nc:08x}'
        value += f', cnonce="{cnonce}"'
    else:
        value += f', response="{md5(f"{ha1}:{nonce}:{ha2}")}", algorithm=MD5'
    if "opaque" in params:
        value += f', opaque="{params["opaque"]}"'
    return value


SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
)


@dataclass
class Dialog:
    call_id: str
    local_tag: str
    local: str  # From/To name-addr of this side, without tag
    remote: str
    remote_tag: str | None = None
    remote_target: str = ""
    route_set: list[str] = field(default_factory=list)
    cseq: int = 1


class WsUserAgent:
    """A SIP user agent over one WebSocket connection, JsSIP style (`*.invalid` Via/Contact)."""

    def __init__(self, kamailio: Kamailio, user: str, password: str) -> None:
        self.user, self.password, self.domain = user, password, kamailio.domain
        self.ws: ClientConnection = connect(
            kamailio.ws_url, subprotocols=[Subprotocol("sip")], open_timeout=5, close_timeout=2
        )
        assert self.ws.subprotocol == "sip"
        self.via_host = f"{secrets.token_hex(6)}.invalid"
        self.contact = f"<sip:{secrets.token_hex(4)}@{self.via_host};transport=ws>"
        self.aor = f"sip:{user}@{kamailio.domain}"

    def close(self) -> None:
        self.ws.close()

    # wire ---------------------------------------------------------------------------------
    def send(self, text: str) -> None:
        self.ws.send(text)

    def recv(self, timeout: float = 5.0) -> Message:
        data = self.ws.recv(timeout=timeout)
        assert isinstance(data, str), "SIP over WebSocket arrives in text frames"
        return Message.parse(data)

    def expect_request(self, method: str, timeout: float = 5.0) -> Message:
        message = self.recv(timeout)
        assert message.is_request and message.method == method, message.raw
        return message

    def expect_response(self, method: str, timeout: float = 5.0, skip_100: bool = True) -> Message:
        while True:
            message = self.recv(timeout)
            assert not message.is_request, message.raw
            assert message.method == method, message.raw
            if skip_100 and message.status == 100:
                continue
            return message

    # building -----------------------------------------------------------------------------
    def branch(self) -> str:
        return f"z9hG4bK{secrets.token_hex(8)}"

    def request(
        self,
        method: str,
        uri: str,
        *,
        from_: str,
        to: str,
        call_id: str,
        cseq: int,
        branch: str | None = None,
        routes: list[str] | None = None,
        extra: list[str] | None = None,
        body: str = "",
        contact: bool = True,
    ) -> str:
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/WS {self.via_host};branch={branch or self.branch()}",
            "Max-Forwards: 70",
            *(f"Route: {route}" for route in routes or []),
            f"From: {from_}",
            f"To: {to}",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
        ]
        if contact:
            lines.append(f"Contact: {self.contact}")
        lines += extra or []
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def response(
        self,
        request: Message,
        status: int,
        reason: str,
        *,
        to_tag: str | None = None,
        body: str = "",
        contact: bool = False,
    ) -> str:
        to = request.header("To")
        if to_tag and _tag(to) is None:
            to += f";tag={to_tag}"
        lines = [f"SIP/2.0 {status} {reason}"]
        lines += [f"Via: {via}" for via in request.values("Via")]
        if status != 100:
            lines += [f"Record-Route: {rr}" for rr in request.values("Record-Route")]
        lines += [
            f"From: {request.header('From')}",
            f"To: {to}",
            f"Call-ID: {request.header('Call-ID')}",
            f"CSeq: {request.header('CSeq')}",
        ]
        if contact:
            lines.append(f"Contact: {self.contact}")
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    # flows --------------------------------------------------------------------------------
    def register(self, password: str | None = None, expires: int = 300) -> Message:
        """REGISTER, expect 401, REGISTER with Authorization; returns the final answer."""
        call_id = secrets.token_hex(10)
        tag = secrets.token_hex(5)
        uri = f"sip:{self.domain}"
        from_, to = f"<{self.aor}>;tag={tag}", f"<{self.aor}>"
        extra = [f"Expires: {expires}"]
        self.send(
            self.request("REGISTER", uri, from_=from_, to=to, call_id=call_id, cseq=1, extra=extra)
        )
        challenge = self.expect_response("REGISTER")
        assert challenge.status == 401, challenge.raw
        auth = digest_credentials(
            challenge.header("WWW-Authenticate"),
            "REGISTER",
            uri,
            self.user,
            self.password if password is None else password,
        )
        extra = [f"Authorization: {auth}", *extra]
        self.send(
            self.request("REGISTER", uri, from_=from_, to=to, call_id=call_id, cseq=2, extra=extra)
        )
        return self.expect_response("REGISTER")

    def invite(self, callee: str) -> tuple[Dialog, Message, str]:
        """INVITE callee, expect 407, ACK it, INVITE again with Proxy-Authorization.

        Returns the dialog (remote tag, target and route set still to fill in from the
        answer, which is left unread), the 407, and the branch of the second INVITE (a CANCEL
        reuses it).
        """
        target = f"sip:{callee}@{self.domain}"
        dialog = Dialog(
            call_id=secrets.token_hex(10),
            local_tag=secrets.token_hex(5),
            local=f"<{self.aor}>",
            remote=f"<{target}>",
        )
        from_ = f"{dialog.local};tag={dialog.local_tag}"
        branch = self.branch()
        self.send(
            self.request(
                "INVITE",
                target,
                from_=from_,
                to=dialog.remote,
                call_id=dialog.call_id,
                cseq=1,
                branch=branch,
                body=SDP,
            )
        )
        challenge = self.expect_response("INVITE")
        assert challenge.status == 407, challenge.raw
        # ACK for the 407: same branch, the 407's To tag; absorbed by the proxy
        self.send(
            self.request(
                "ACK",
                target,
                from_=from_,
                to=challenge.header("To"),
                call_id=dialog.call_id,
                cseq=1,
                branch=branch,
                contact=False,
            )
        )
        credentials = digest_credentials(
            challenge.header("Proxy-Authenticate"), "INVITE", target, self.user, self.password
        )
        dialog.cseq = 2
        branch = self.branch()
        self.send(
            self.request(
                "INVITE",
                target,
                from_=from_,
                to=dialog.remote,
                call_id=dialog.call_id,
                cseq=2,
                branch=branch,
                body=SDP,
                extra=[f"Proxy-Authorization: {credentials}"],
            )
        )
        return dialog, challenge, branch

    def in_dialog(self, dialog: Dialog, method: str, cseq: int | None = None) -> str:
        if cseq is None:
            dialog.cseq += 1
            cseq = dialog.cseq
        return self.request(
            method,
            dialog.remote_target,
            from_=f"{dialog.local};tag={dialog.local_tag}",
            to=f"{dialog.remote};tag={dialog.remote_tag}",
            call_id=dialog.call_id,
            cseq=cseq,
            routes=dialog.route_set,
            contact=method != "ACK",
        )


@contextlib.contextmanager
def kamailio_with_agents() -> Iterator[tuple[Kamailio, dict[str, WsUserAgent]]]:
    """Kamailio (started in the test body, so that a missing program fails the test) and
    one connected WebSocket user agent per user of USERS."""
    with Kamailio(USERS) as server:
        opened: dict[str, WsUserAgent] = {}
        try:
            for user, password in USERS.items():
                opened[user] = WsUserAgent(server, user, password)
            yield server, opened
        finally:
            for agent in opened.values():
                agent.close()


# ---------------------------------------------------------------------------------------------
# Kamailio over WebSocket


def test_ws_register_is_challenged_then_accepted(loopback_only: None) -> None:
    with kamailio_with_agents() as (kamailio, agents):
        alice = agents["alice"]
        alice.send(
            alice.request(
                "REGISTER",
                "sip:127.0.0.1",
                from_=f"<{alice.aor}>;tag=t1",
                to=f"<{alice.aor}>",
                call_id="reg-1",
                cseq=1,
                extra=["Expires: 300"],
            )
        )
        challenge = alice.expect_response("REGISTER")
        assert challenge.status == 401
        params = _digest_params(challenge.header("WWW-Authenticate"))
        assert params["realm"] == "127.0.0.1"
        assert params["qop"] == "auth"

        ok = alice.register()
        assert ok.status == 200, ok.raw
        contact = ok.header("Contact")
        assert alice.contact in contact
        assert (
            'received="sip:127.0.0.1:' in contact
        )  # the WebSocket connection, kept by the registrar
        assert ";transport=ws" in contact.split("received=")[1]
        assert "alice" in kamailio.rpc("ul.dump")

        wrong = alice.register(password="not-the-password")
        assert wrong.status == 401, wrong.raw  # challenged again, never accepted


def test_ws_call_alice_to_bob_through_the_proxy(loopback_only: None) -> None:
    with kamailio_with_agents() as (_, agents):
        alice, bob = agents["alice"], agents["bob"]
        assert alice.register().status == 200
        assert bob.register().status == 200

        dialog, _, _ = alice.invite("bob")
        trying = alice.recv()
        assert trying.status == 100  # the proxy's own, once the INVITE is authenticated

        # bob gets the INVITE on his WebSocket connection, as the proxy forwards it
        invite = bob.expect_request("INVITE")
        assert invite.uri == _uri_in(bob.contact)
        record_route = invite.all("Record-Route")
        assert len(record_route) == 1, invite.raw
        assert ";transport=ws" in record_route[0] and "lr" in record_route[0]
        assert len(invite.values("Via")) == 2
        assert not invite.has("Proxy-Authorization"), "credentials must not be forwarded"
        assert ";alias=127.0.0.1~" in invite.header("Contact")
        assert invite.body == SDP

        bob_tag = secrets.token_hex(5)
        bob.send(bob.response(invite, 180, "Ringing", to_tag=bob_tag, contact=True))
        ringing = alice.expect_response("INVITE")
        assert ringing.status == 180
        bob.send(bob.response(invite, 200, "OK", to_tag=bob_tag, contact=True, body=SDP))
        ok = alice.expect_response("INVITE")
        assert ok.status == 200, ok.raw
        assert ok.body == SDP
        assert ok.all("Record-Route") == record_route
        assert ";alias=127.0.0.1~" in ok.header("Contact")

        # alice's side of the dialog: route set = Record-Route reversed, target = bob's Contact
        dialog.remote_tag = _tag(ok.header("To"))
        assert dialog.remote_tag == bob_tag
        dialog.remote_target = _uri_in(ok.header("Contact"))
        dialog.route_set = list(reversed(ok.all("Record-Route")))
        alice.send(alice.in_dialog(dialog, "ACK", cseq=2))
        ack = bob.expect_request("ACK")
        assert ack.header("Call-ID") == dialog.call_id
        assert ack.uri == _uri_in(bob.contact)  # the alias is taken out again

        # bob's side: a request towards alice reaches her connection through her aliased Contact
        bob_dialog = Dialog(
            call_id=dialog.call_id,
            local_tag=bob_tag,
            local=dialog.remote,
            remote=dialog.local,
            remote_tag=dialog.local_tag,
            remote_target=_uri_in(invite.header("Contact")),
            route_set=invite.all("Record-Route"),
            cseq=100,
        )
        bob.send(bob.in_dialog(bob_dialog, "INFO"))
        info = alice.expect_request("INFO")
        assert info.uri == _uri_in(alice.contact)
        alice.send(alice.response(info, 200, "OK"))
        assert bob.expect_response("INFO").status == 200

        # alice hangs up: BYE is not challenged (in-dialog)
        alice.send(alice.in_dialog(dialog, "BYE"))
        bye = bob.expect_request("BYE")
        bob.send(bob.response(bye, 200, "OK"))
        assert alice.expect_response("BYE").status == 200


def test_ws_cancel_is_not_challenged(loopback_only: None) -> None:
    with kamailio_with_agents() as (_, agents):
        alice, bob = agents["alice"], agents["bob"]
        assert alice.register().status == 200
        assert bob.register().status == 200
        dialog, _, branch = alice.invite("bob")
        invite = bob.expect_request("INVITE")
        bob_tag = secrets.token_hex(5)
        bob.send(bob.response(invite, 180, "Ringing", to_tag=bob_tag, contact=True))
        assert alice.expect_response("INVITE").status == 180

        alice.send(
            alice.request(
                "CANCEL",
                f"sip:bob@{alice.domain}",
                from_=f"{dialog.local};tag={dialog.local_tag}",
                to=dialog.remote,
                call_id=dialog.call_id,
                cseq=2,
                branch=branch,
                contact=False,
            )
        )
        assert alice.expect_response("CANCEL").status == 200
        cancel = bob.expect_request("CANCEL")
        bob.send(bob.response(cancel, 200, "OK"))
        bob.send(bob.response(invite, 487, "Request Terminated", to_tag=bob_tag))
        assert bob.expect_request("ACK").header("CSeq") == "2 ACK"  # the proxy's hop-by-hop ACK
        terminated = alice.expect_response("INVITE")
        assert terminated.status == 487


def test_ws_unknown_and_unregistered_callees(loopback_only: None) -> None:
    with kamailio_with_agents() as (_, agents):
        alice = agents["alice"]
        assert alice.register().status == 200
        alice.invite("carol")  # no such user
        assert alice.expect_response("INVITE").status == 404
        alice.invite("bob")  # a user, not registered
        assert alice.expect_response("INVITE").status == 480


def test_ws_password_with_special_characters(loopback_only: None) -> None:
    password = 'c:a\\r o$l"x'
    with Kamailio({"carol": password}) as server:
        carol = WsUserAgent(server, "carol", password)
        try:
            assert carol.register().status == 200
        finally:
            carol.close()


def test_ws_caller_reaches_a_sipp_uas_over_udp(loopback_only: None) -> None:
    """WebSocket in, UDP out: double Record-Route, and the dialog works both ways round."""
    with Kamailio(USERS, auth_udp=False) as server:
        registrar = Sipp("register", server.udp_target, service="sippuas")
        assert registrar.run().ok
        with Sipp("uas", calls=1, local_port=registrar.local_port, timeout=15) as uas:
            alice = WsUserAgent(server, "alice", USERS["alice"])
            try:
                assert alice.register().status == 200
                dialog, _, _ = alice.invite("sippuas")
                assert alice.expect_response("INVITE").status == 180
                ok = alice.expect_response("INVITE")
                assert ok.status == 200, ok.raw
                record_route = ok.all("Record-Route")
                assert len(record_route) == 2, ok.raw  # one per transport
                assert f"127.0.0.1:{server.udp_port};" in record_route[0]
                assert f"127.0.0.1:{server.ws_port};transport=ws;" in record_route[1]
                dialog.remote_tag = _tag(ok.header("To"))
                dialog.remote_target = _uri_in(ok.header("Contact"))
                assert dialog.remote_target.startswith(f"sip:127.0.0.1:{registrar.local_port}")
                dialog.route_set = list(reversed(record_route))
                alice.send(alice.in_dialog(dialog, "ACK", cseq=2))
                alice.send(alice.in_dialog(dialog, "BYE"))
                assert alice.expect_response("BYE").status == 200
            finally:
                alice.close()
            answered = uas.wait(timeout=10)
        assert answered.ok and answered.successful == 1, answered.summary()


# ---------------------------------------------------------------------------------------------
# SIPp through Kamailio over UDP


def test_sipp_50_calls_through_kamailio(loopback_only: None) -> None:
    with Kamailio(USERS, auth_udp=False) as server:
        registrar = Sipp("register", server.udp_target, service="sippuas")
        register = registrar.run()
        assert register.ok, register.summary()
        # the UAS takes over the port that registered (one SIPp cannot do both)
        with Sipp("uas", calls=50, local_port=registrar.local_port) as uas:
            uac = Sipp(
                "uac",
                server.udp_target,
                service="sippuas",
                calls=50,
                rate=10,
                pause_ms=200,
                trace_msg=True,
            ).run()
            answered = uas.wait(timeout=10)
        assert uac.ok, uac.summary()
        assert uac.successful == 50 and uac.failed == 0, uac.summary()
        assert uac.stats is not None and uac.stats.created == 50
        assert 5 <= uac.stats.call_rate <= 12, uac.summary()
        assert answered.ok and answered.successful == 50, answered.summary()
        # ACK and BYE went the loose-routing way: Route = the proxy's Record-Route
        route = f"\nRoute: <sip:127.0.0.1:{server.udp_port};lr=on>\n"
        assert uac.messages.count(route) == 100, uac.summary()  # 50 ACKs, 50 BYEs


def test_sipp_with_digest_authentication(loopback_only: None) -> None:
    with Kamailio(USERS) as server:
        registrar = Sipp(
            "register_auth", server.udp_target, service="bob", auth=("bob", USERS["bob"])
        )
        register = registrar.run()
        assert register.ok, register.summary()
        with Sipp("uas", calls=10, local_port=registrar.local_port) as uas:
            uac = Sipp(
                "uac_auth",
                server.udp_target,
                service="bob",
                calls=10,
                rate=10,
                pause_ms=100,
                auth=("alice", USERS["alice"]),
                keys={"caller": "alice"},
                trace_msg=True,
            ).run()
            answered = uas.wait(timeout=10)
        assert uac.ok and uac.successful == 10, uac.summary()
        assert answered.ok and answered.successful == 10, answered.summary()
        assert "Proxy-Authorization: Digest" in uac.messages
        assert "SIP/2.0 407" in uac.messages


def test_sipp_without_credentials_is_rejected(loopback_only: None) -> None:
    with Kamailio(USERS) as server:
        result = Sipp("register", server.udp_target, service="alice", timeout=10).run()
    assert not result.ok
    assert result.returncode == 1 and result.failed == 1, result.summary()
    assert "401" in result.errors


def test_sipp_reports_failed_calls(loopback_only: None) -> None:
    with Kamailio(USERS, auth_udp=False) as server:
        result = Sipp("uac", server.udp_target, service="nobody", calls=3, rate=20).run()
    assert result.returncode == 1, result.summary()
    assert result.failed == 3 and result.successful == 0, result.summary()
    assert "404 Not Found" in result.errors


# ---------------------------------------------------------------------------------------------
# The helpers themselves


def test_in_loopback_namespace_wants_lo_alone() -> None:
    assert in_loopback_namespace(["lo"]) is True
    assert in_loopback_namespace(["eth0", "lo"]) is False
    assert in_loopback_namespace([]) is False


def test_this_process_is_in_a_loopback_namespace(loopback_only: None) -> None:
    assert in_loopback_namespace()
    ensure_loopback_namespace(None)  # type: ignore[arg-type]  # returns at once, no re-exec


def test_namespace_command_passes_arguments_unchanged() -> None:
    command = namespace_command(["/x/python", "-m", "pytest", "-k", "a and 'b c'"])
    assert command[:5] == ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"']
    assert command[5:] == ["sh", "/x/python", "-m", "pytest", "-k", "a and 'b c'"]
    with pytest.raises(ValueError, match="empty"):
        namespace_command([])


def test_reexec_refuses_to_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MARKER, "1")
    with pytest.raises(NamespaceError, match=ENV_MARKER):
        reexec_in_namespace(["true"])


def test_missing_program_names_the_installer() -> None:
    with pytest.raises(ServiceError, match=r"sip-tester.*scripts/install --test"):
        find_program("sipp-which-does-not-exist", "sip-tester")
    assert find_program("kamailio", "kamailio")
    assert find_program("sipp", "sip-tester")


def test_free_port_and_scenarios() -> None:
    assert 1024 <= free_port("tcp") <= 65535
    assert 1024 <= free_port("udp") <= 65535
    with pytest.raises(ValueError):
        free_port("sctp")  # type: ignore[arg-type]
    for name in ("register", "register_auth", "uas", "uac", "uac_auth"):
        assert scenario_path(name) == SIPP_SCENARIOS / f"{name}.xml"
    with pytest.raises(ServiceError):
        scenario_path("nope")


def test_users_table_escapes_db_text() -> None:
    table = users_table({"alice": "a:b\\c\nd"})
    assert table.splitlines()[1] == "1:alice:0:0:a\\:b\\\\c\\nd"
    with pytest.raises(ValueError):
        users_table({"bad:name": "x"})
    with pytest.raises(ValueError):
        users_table({"alice": ""})


def test_parse_stat_csv() -> None:
    text = (
        "StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;"
        "CallRate(P);CallRate(C);IncomingCall(P);IncomingCall(C);OutgoingCall(P);"
        "OutgoingCall(C);TotalCallCreated;CurrentCall;SuccessfulCall(P);SuccessfulCall(C);"
        "FailedCall(P);FailedCall(C);\n"
        "a;b;c;00:00:01:000000;00:00:01:000000;10;9.5;9.5;0;0;10;10;10;0;10;10;0;0;\n"
        "a;b;c;00:00:01:000000;00:00:05:000000;10;0;9.8;0;0;0;50;50;0;0;49;0;1;\n"
    )
    stats = parse_stat_csv(text)
    assert stats is not None
    assert (stats.successful, stats.failed, stats.created) == (49, 1, 50)
    assert stats.call_rate == pytest.approx(9.8)
    assert stats.elapsed == "00:00:05:000000"
    assert parse_stat_csv("") is None


def test_kamailio_stops_by_pid_and_cleans_up(loopback_only: None) -> None:
    server = Kamailio(USERS).start()
    pid, directory = server.pid, server.directory
    assert pid is not None and directory is not None and directory.is_dir()
    assert server.config_path.read_text().count(f"listen=tcp:127.0.0.1:{server.ws_port}") == 1
    log = server.stop()
    assert "INFO" in log
    assert not directory.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # nothing of that process group is left either
    deadline = time.monotonic() + 2
    with pytest.raises(ProcessLookupError):
        while time.monotonic() < deadline:
            os.killpg(pid, 0)
            time.sleep(0.05)
