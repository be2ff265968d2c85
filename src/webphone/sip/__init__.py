"""The SIP protocol core, sans-IO: bytes in, events and bytes out; no sockets, no clock."""

from .address import CSeq, NameAddr, Via, parse_cseq, parse_name_addr, parse_via
from .errors import InvalidStateError, ParseError, SipError
from .headers import Headers, MutableHeaders
from .message import Message, Request, Response, parse
from .uri import AbsoluteUri, SipUri, Uri, parse_sip_uri, parse_uri

__all__ = [
    "AbsoluteUri",
    "CSeq",
    "Headers",
    "InvalidStateError",
    "Message",
    "MutableHeaders",
    "NameAddr",
    "ParseError",
    "Request",
    "Response",
    "SipError",
    "SipUri",
    "Uri",
    "Via",
    "parse",
    "parse_cseq",
    "parse_name_addr",
    "parse_sip_uri",
    "parse_uri",
    "parse_via",
]
