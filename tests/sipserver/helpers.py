"""Helpers for the SIP server tests: digest answers, a raw WebSocket phone, a UDP peer."""

from __future__ import annotations

import asyncio
import socket
from types import TracebackType
from typing import Self

from webphone.sip import Message, Request, Response, SipUri, parse
from webphone.sip.builders import UserAgentConfig, register, unregister, with_credentials
from webphone.sip.digest import parse_challenge_headers
from webphone.sip.digest_client import answer, choose
from webphone.sip.ids import Ids, seeded
from webphone.sip.transaction import make_ack
from webphone.transport import SipWebSocketClient, TransportEvent

USERS = {"alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"}
SDP = (
    b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 4000 RTP/AVP 0\r\n"
)
TIMEOUT = 5.0


def credentials(
    challenge: Response,
    request: Request,
    user: str,
    password: str,
    *,
    algorithm: str | None = None,
    nc: int = 1,
) -> tuple[str, str]:
    """The (header name, value) answering a 401 or 407 for `request`."""
    proxy = challenge.status == 407
    name = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
    offered = parse_challenge_headers(challenge.headers.get_all(name))
    chosen = choose(c for c in offered if algorithm in (None, c.algorithm))
    assert chosen is not None, f"no usable challenge in {offered}"
    value = answer(chosen, request.method, str(request.uri), user, password, nc, "0a4f113b")
    return ("Proxy-Authorization" if proxy else "Authorization", str(value))


def authorized(
    challenge: Response, request: Request, ids: Ids, user: str, password: str
) -> Request:
    """The request again with credentials (new branch, CSeq + 1, §22.2)."""
    name, value = credentials(challenge, request, user, password)
    return with_credentials(request, ids, name, value)


class WsPhone:
    """A user agent made of raw messages over a real SIP WebSocket connection."""

    def __init__(self, url: str, user: str, password: str | None = None, seed: int = 1) -> None:
        self.user = user
        self.password = password if password is not None else USERS.get(user, "")
        self.ids = seeded(seed)
        self.config = UserAgentConfig.websocket(SipUri("127.0.0.1", user=user), self.ids)
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.events: list[TransportEvent] = []
        self.client = SipWebSocketClient(
            [url], on_message=self.inbox.put_nowait, on_event=self.events.append,
            keepalive_interval=None,
        )  # fmt: skip
        self.register_call_id = self.ids.call_id()
        self.cseq = 0

    async def __aenter__(self) -> Self:
        await self.client.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.client.close()

    async def send(self, message: Message | bytes) -> None:
        await self.client.send(message)

    async def receive(self, *, trying: bool = False) -> Message:
        """The next message; 100 Trying is skipped unless `trying`."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                message = await self.inbox.get()
                if trying or not (isinstance(message, Response) and message.status == 100):
                    return message

    async def response(self) -> Response:
        message = await self.receive()
        assert isinstance(message, Response), f"expected a response, got {message!r}"
        return message

    async def request(self, method: str | None = None) -> Request:
        message = await self.receive()
        assert isinstance(message, Request), f"expected a request, got {message!r}"
        assert method in (None, message.method), f"expected {method}, got {message.method}"
        return message

    async def nothing(self, seconds: float = 0.3) -> None:
        """Assert that nothing arrives for a while."""
        await asyncio.sleep(seconds)
        assert self.inbox.empty(), f"unexpected {self.inbox.get_nowait()!r}"

    async def transact(self, request: Request) -> tuple[Request, Response]:
        """Send; answer one 401/407 with credentials (ACK first for an INVITE); the request
        last sent and its first response other than 100 and the challenge."""
        await self.send(request)
        response = await self.response()
        if response.status in (401, 407):
            if request.method == "INVITE":
                await self.send(make_ack(request, response))
            request = authorized(response, request, self.ids, self.user, self.password)
            await self.send(request)
            response = await self.response()
        return request, response

    def register_request(self, expires: int = 300) -> Request:
        self.cseq += 1
        if expires == 0:
            return unregister(self.config, self.ids, call_id=self.register_call_id, cseq=self.cseq)
        return register(
            self.config, self.ids, call_id=self.register_call_id, cseq=self.cseq, expires=expires
        )

    async def register(self, expires: int = 300) -> Response:
        request, response = await self.transact(self.register_request(expires))
        self.cseq = request.cseq.seq
        return response


class UdpPeer:
    """A UDP socket on loopback that sends and receives raw SIP messages."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def send(self, data: Message | bytes, address: tuple[str, int]) -> None:
        self.sock.sendto(data if isinstance(data, bytes) else bytes(data), address)

    async def receive(self, timeout: float = TIMEOUT) -> Message:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            data = await loop.sock_recv(self.sock, 65535)
        return parse(data)

    async def receive_raw(self, timeout: float = TIMEOUT) -> bytes:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            return await loop.sock_recv(self.sock, 65535)
