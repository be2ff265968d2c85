"""The host addresses an in-process (aiortc) media endpoint offers as ICE host candidates.

aioice gathers host candidates from `aioice.ice.get_host_addresses()`, which lists every
interface address *except* loopback (127.0.0.1 and ::1 are skipped, and nothing configures
that). In a loopback-only network namespace (how the tests run media, see TESTING.md) an aiortc
endpoint therefore has no candidate at all and ICE never starts. Real deployments want their
real interfaces; tests and local demos want 127.0.0.1. This module is the one setting for it:

- an explicit list (`AiortcMedia(hosts=[...])`), else
- the environment variable `WEBPHONE_MEDIA_HOSTS` (comma-separated addresses), else
- aioice's default: the machine's real interfaces.

Why a patch: aioice reads the addresses inside `Connection.gather_candidates()` through the
module-level function, with no parameter or hook to override them, and aiortc builds the
`Connection` itself. The narrowest hook is therefore that function. It is replaced once, by a
wrapper that returns the addresses held in a `ContextVar` when one is set and calls the original
otherwise, so nothing changes for code that does not ask for it. `AiortcMedia` sets the variable
only around its own `setLocalDescription()` (where aiortc gathers); asyncio tasks copy the
context when created, so the gather tasks aiortc spawns see it, and concurrent connections with
different settings do not see each other's.
"""

from __future__ import annotations

import contextvars
import ipaddress
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import aioice.ice

__all__ = ["MEDIA_HOSTS_ENV", "parse_hosts", "resolve_hosts", "using_hosts"]

#: The environment variable read when no explicit list is given.
MEDIA_HOSTS_ENV = "WEBPHONE_MEDIA_HOSTS"

_hosts: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "webphone_media_hosts", default=None
)
_original: Callable[[bool, bool], list[str]] | None = None


def parse_hosts(value: str | Sequence[str], *, source: str = "hosts") -> tuple[str, ...]:
    """Validate addresses (a comma-separated string or a sequence) into a tuple of IP literals.

    Raises `ValueError` naming `source` and the bad value: a typo here would otherwise show up
    much later as a call with no audio.
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    addresses: list[str] = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        try:
            addresses.append(str(ipaddress.ip_address(text)))
        except ValueError:
            raise ValueError(f"{source}: {text!r} is not an IP address") from None
    if not addresses:
        raise ValueError(f"{source}: no address in {value!r}")
    return tuple(addresses)


def resolve_hosts(hosts: Sequence[str] | None = None) -> tuple[str, ...] | None:
    """The addresses to offer: `hosts` if given, else `$WEBPHONE_MEDIA_HOSTS`, else None.

    None means "aioice's default" (every non-loopback interface).
    """
    if hosts is not None:
        return parse_hosts(hosts, source="hosts")
    env = os.environ.get(MEDIA_HOSTS_ENV, "").strip()
    if env:
        return parse_hosts(env, source=MEDIA_HOSTS_ENV)
    return None


@contextmanager
def using_hosts(hosts: tuple[str, ...] | None) -> Iterator[None]:
    """Within this context (and tasks created in it), ICE gathering offers exactly `hosts`.

    `None` leaves aioice's default in force.
    """
    if hosts is None:
        yield
        return
    _install()
    token = _hosts.set(hosts)
    try:
        yield
    finally:
        _hosts.reset(token)


def _install() -> None:
    """Replace `aioice.ice.get_host_addresses` with `_get_host_addresses`, once."""
    global _original  # noqa: PLW0603 - the one patch, installed lazily and only once
    if _original is None:
        _original = aioice.ice.get_host_addresses
        aioice.ice.get_host_addresses = _get_host_addresses


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    # Same signature and family filtering as aioice's function, which it stands in for.
    hosts = _hosts.get()
    if hosts is None:
        assert _original is not None
        return _original(use_ipv4, use_ipv6)
    return [
        host
        for host in hosts
        if (use_ipv4 if ipaddress.ip_address(host).version == 4 else use_ipv6)
    ]
