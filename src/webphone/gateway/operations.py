"""The page's operations on its session's Phone, and the Phone's errors as protocol codes."""

from __future__ import annotations

import logging
from typing import Any

from ..phone import Phone, PhoneConfig, PhoneError
from ..phone.call import Call, CallState
from ..phone.config import ConfigError, parse_servers
from ..phone.media import MediaError
from ..sip import InvalidStateError
from .protocol import JsonObject, Operation, ProtocolError

__all__ = ["apply_config", "perform", "public_config"]

logger = logging.getLogger(__name__)

#: set_config's fields (the seed's setConfig names) -> PhoneConfig fields.
CONFIG_FIELDS = {
    "wsServers": "ws_servers",
    "username": "username",
    "password": "password",
    "displayName": "display_name",
    "cli": "cli",
    "realm": "realm",
}
_PAGE_NAMES = {python: page for page, python in CONFIG_FIELDS.items()}
# Phone codes the protocol spells differently.
_CODES = {"busy": "invalid_state", "no_call": "invalid_state"}


async def perform(phone: Phone, op: Operation) -> JsonObject:
    """Do `op` on `phone`: the result's fields, or `ProtocolError` with the code to send."""
    try:
        return await _perform(phone, op)
    except PhoneError as e:
        code = _CODES.get(e.code, e.code)
        raise ProtocolError(code, str(e), op.id, sip_status=e.sip_status) from None
    except ConfigError as e:
        raise config_error(e, op.id) from None
    except InvalidStateError as e:
        raise ProtocolError("invalid_state", str(e), op.id) from None
    except MediaError as e:
        raise ProtocolError("media_failed", str(e), op.id) from None


async def _perform(phone: Phone, op: Operation) -> JsonObject:
    name = op.op
    if name == "register":
        registered = await phone.register()
        return {"server": registered.server, "expires": registered.expires}
    if name == "unregister":
        await phone.unregister()
    elif name == "make_call":
        call = await phone.make_call(op.fields["address"], video=op.fields.get("video"))
        return {"call_id": call.call_id}
    elif name == "answer":
        call = _call(phone, "answer")
        await phone.answer()
        if call.state is not CallState.ACTIVE:  # the caller gave up, or the page failed
            raise ProtocolError("call_failed", f"the call ended: {call.cdr.reason}", op.id)
    elif name == "hangup":
        await phone.hangup()
    elif name in ("hold", "unhold"):
        call = _call(phone, name)
        await (phone.hold() if name == "hold" else phone.unhold())
        if call.state is CallState.ENDED:
            raise ProtocolError("call_failed", f"the call ended: {call.cdr.reason}", op.id)
        if call.local_hold != (name == "hold"):  # the re-INVITE was refused
            raise ProtocolError("hold_failed", f"the far end refused to {name}", op.id)
    elif name == "mute":
        phone.mute()
    elif name == "unmute":
        phone.unmute()
    elif name == "dtmf":
        await phone.dialpad_press(op.fields["digit"].upper())
    elif name != "ping":
        raise ProtocolError("unknown_op", f"no operation {name!r}", op.id)
    return {}


def _call(phone: Phone, action: str) -> Call:
    if phone.call is None:
        raise PhoneError("no_call", f"no call to {action}")
    return phone.call


def apply_config(phone: Phone, fields: dict[str, Any], default_servers: tuple[str, ...]) -> None:
    """set_config: merge the given settings into the Phone's; `ConfigError` names a bad one.

    A page may give its settings over several calls, so only a missing user name is let
    through (`register` names it); everything given is checked now. Empty strings mean
    "not set", and empty `wsServers` the gateway's default servers (the embedded one).
    """
    changes: dict[str, object] = {}
    for page_name, value in fields.items():
        if value is None or page_name not in CONFIG_FIELDS:
            continue
        name = CONFIG_FIELDS[page_name]
        if name == "ws_servers":
            changes[name] = parse_servers(value) or default_servers
        elif name in ("display_name", "cli", "realm"):
            changes[name] = value or None
        else:
            changes[name] = value
    candidate = phone.config.replace(**changes)
    probe = candidate if candidate.username else candidate.replace(username="placeholder")
    probe.validated()
    phone.config = candidate


def public_config(config: PhoneConfig) -> JsonObject:
    """The settings a page may see (never the password)."""
    return {
        "wsServers": list(config.ws_servers),
        "username": config.username,
        "displayName": config.display_name,
        "cli": config.cli,
        "realm": config.realm,
    }


def config_error(error: ConfigError, op_id: int | None) -> ProtocolError:
    """A ConfigError with the field as the page calls it (`wsServers`, not `ws_servers`)."""
    page_name = _PAGE_NAMES.get(error.field, error.field)
    message = page_name + str(error)[len(error.field) :]
    return ProtocolError("config_error", message, op_id, field=page_name)
