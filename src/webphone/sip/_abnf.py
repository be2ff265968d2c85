"""The RFC 3261 grammar (§25.1) as regular expressions, each beside the rule it implements."""

from __future__ import annotations

import re

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
token_re = re.compile(TOKEN)

# Method = INVITEm / ACKm / ... / extension-method;  extension-method = token
method_re = re.compile(TOKEN)

# SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT
version_re = re.compile(r"SIP/(\d+)\.(\d+)", re.IGNORECASE)

# Status-Code = 3DIGIT ; the first digit 1-6 (§21)
status_re = re.compile(r"[1-6]\d\d")

# message-header = field-name HCOLON field-value;  HCOLON = *( SP / HTAB ) ":" SWS
header_name_re = re.compile(TOKEN)

# hostname = *( domainlabel "." ) toplabel [ "." ] ; IPv4address ; IPv6reference = "[" IPv6address "]"
# (underscores are tolerated: real deployments use them in host names)
HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9.])?)"
host_re = re.compile(HOST)

# SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]   (and "sips:")
# userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
sip_uri_re = re.compile(
    r"(?P<scheme>[Ss][Ii][Pp][Ss]?):"
    r"(?:(?P<userinfo>[^@\s<>\"]*)@)?"
    rf"(?P<host>{HOST})"
    r"(?::(?P<port>\d{1,5}))?"
    r"(?P<params>(?:;[^;?\s<>\"]*)*)"
    r"(?:\?(?P<headers>[^\s<>\"]*))?"
)

# absoluteURI = scheme ":" ( hier-part / opaque-part );  scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
absolute_uri_re = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+\-.]*):(?P<rest>[^\s<>\"]+)")

# Via = ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm)
# via-parm = sent-protocol LWS sent-by *( SEMI via-params )
# sent-protocol = protocol-name SLASH protocol-version SLASH transport;  SLASH = SWS "/" SWS
# sent-by = host [ COLON port ]
via_re = re.compile(
    rf"(?P<name>{TOKEN})\s*/\s*(?P<version>{TOKEN})\s*/\s*(?P<transport>{TOKEN})\s+"
    rf"(?P<host>{HOST})(?:\s*:\s*(?P<port>\d{{1,5}}))?\s*"
    r"(?P<params>(?:;[^;,]*)*)$"
)

# CSeq = "CSeq" HCOLON 1*DIGIT LWS Method  (the number is below 2**31, §8.1.1.5)
cseq_re = re.compile(rf"(\d{{1,10}})\s+({TOKEN})$")

# quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE;  quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
QUOTED = r'"(?:[^"\\]|\\.)*"'
quoted_re = re.compile(QUOTED)
quoted_pair_re = re.compile(r"\\(.)")

# name-addr = [ display-name ] LAQUOT addr-spec RAQUOT;  display-name = *(token LWS) / quoted-string
quoted_display_re = re.compile(rf"({QUOTED})\s*<")

# A whole From/To value, checked at parse time without building objects (the typed value is
# built on first use):  ( name-addr / addr-spec ) *( SEMI generic-param )
#   generic-param = token [ EQUAL gen-value ];  gen-value = token / host / quoted-string
_PARAM = rf"\s*;\s*{TOKEN}(?:\s*=\s*(?:[^;\"\s,<>]+|{QUOTED}))?"
_URI_CHARS = r"[A-Za-z][A-Za-z0-9+\-.]*:[^\s<>\"]+"
from_to_re = re.compile(
    rf"\s*(?:(?:{QUOTED}|[A-Za-z0-9\-.!%*_+`'~ \t]*)\s*<\s*{_URI_CHARS}\s*>|[A-Za-z][A-Za-z0-9+\-.]*:[^\s<>\";,]+)"
    rf"(?:{_PARAM})*\s*"
)

# Max-Forwards = "Max-Forwards" HCOLON 1*DIGIT;  Content-Length = ... HCOLON 1*DIGIT
digits_re = re.compile(r"\d{1,10}")

# Characters that may stand unescaped in the user part (unreserved / user-unreserved, §25.1).
USER_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,;?/"
# ... and in the password (unreserved / "&" / "=" / "+" / "$" / ",").
PASSWORD_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,"
