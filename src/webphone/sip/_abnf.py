"""The RFC 3261 grammar (§25.1) as regular expressions, each beside the rule it implements.

Character classes are spelt out in ASCII (no `\\d` or `\\s`, which in Python also match Unicode
digits and spaces), and repetitions that could overlap are possessive (`*+`, `++`) so that no
input makes a pattern backtrack more than linearly.
"""

from __future__ import annotations

import re

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]++"
token_re = re.compile(TOKEN)

# Method = INVITEm / ACKm / ... / extension-method;  extension-method = token
method_re = token_re

# SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT   (case-insensitive, §7.1)
version_re = re.compile(r"SIP/([0-9]+)\.([0-9]+)", re.IGNORECASE)

# Status-Code = 3DIGIT ; the first digit 1-6 (§21)
status_re = re.compile(r"[1-6][0-9][0-9]")

# message-header = field-name HCOLON field-value;  HCOLON = *( SP / HTAB ) ":" SWS
# (one physical line; folded lines are joined by the slow path)
header_name_re = token_re
header_line_re = re.compile(rf"({TOKEN})[ \t]*+:[ \t]*+(.*)", re.DOTALL)

# quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
# quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)   (CR and LF cannot occur in an unfolded value)
QUOTED = r'"[^"\\]*+(?:\\.[^"\\]*+)*+"'  # the loop unrolled: runs of qdtext between pairs
quoted_pair_re = re.compile(r"\\(.)")

# escaped = "%" HEXDIG HEXDIG
ESCAPED = r"%[0-9A-Fa-f]{2}"

# host = hostname / IPv4address / IPv6reference;  hostname = *( domainlabel "." ) toplabel [ "." ]
# IPv6reference = "[" IPv6address "]"   (the address itself is checked in uri.py)
# Underscores are tolerated: real deployments use them in host names.
HOST = r"(?:\[[0-9A-Fa-f:.]++\]|[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9.])?)"

# port = 1*DIGIT, 0 to 65535 (up to five digits, leading zeros allowed)
PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[0-5]?[0-9]{1,4})(?![0-9])"

# user = 1*( unreserved / escaped / user-unreserved )
#   unreserved = alphanum / mark;  mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
#   user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
# telephone-subscriber (RFC 2806) adds "#" (a DTMF digit), so it is accepted too.
_USER_CHAR = r"[A-Za-z0-9\-_.!~*'()&=+$,;?/#]"
# password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
_PASSWORD_CHAR = r"[A-Za-z0-9\-_.!~*'()&=+$,]"
# uri-parameter = pname [ "=" pvalue ];  pname / pvalue = 1*paramchar
#   paramchar = param-unreserved / unreserved / escaped
#   param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"   ("%" is taken as it is)
_PARAM_CHAR = r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]"
# headers = "?" header *( "&" header );  header = hname "=" hvalue
#   hname = 1*( hnv-unreserved / unreserved / escaped );  hvalue = *( ... )
#   hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
_HEADER_CHAR = r"[A-Za-z0-9\-_.!~*'()\[\]/?:+$%]"


def _sip_uri(user_char: str, password_char: str, with_params: bool) -> str:
    # SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]   (and "sips:")
    # userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
    user = rf"(?:{user_char}++|{ESCAPED})++"
    password = rf"(?:{password_char}++|{ESCAPED})*+"
    tail = ""
    if with_params:
        tail = (
            rf"(?P<params>(?:;{_PARAM_CHAR}++(?:={_PARAM_CHAR}*+)?)*+)"
            rf"(?:\?(?P<headers>{_HEADER_CHAR}++={_HEADER_CHAR}*+(?:&{_HEADER_CHAR}++={_HEADER_CHAR}*+)*+))?"
        )
    return (
        r"(?P<scheme>[Ss][Ii][Pp][Ss]?):"
        rf"(?:(?P<user>{user})(?::(?P<password>{password}))?@)?"
        rf"(?P<host>{HOST})(?::(?P<port>{PORT}))?{tail}"
    )


def _unnamed(pattern: str) -> str:
    """The pattern with its named groups made anonymous, to embed it in a larger one."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


SIP_URI = _sip_uri(_USER_CHAR, _PASSWORD_CHAR, with_params=True)
sip_uri_re = re.compile(SIP_URI)

# absoluteURI = scheme ":" ( hier-part / opaque-part )
#   scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
# Any other scheme is carried as written: every character but white space, controls, <, > and ".
_NOT_SIP = r"(?![Ss][Ii][Pp][Ss]?:)"
SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*+"
ABSOLUTE_URI = rf"{_NOT_SIP}(?P<scheme>{SCHEME}):(?P<rest>[^\x00-\x20\x7f<>\"]++)"
absolute_uri_re = re.compile(ABSOLUTE_URI)

# gen-value = token / host / quoted-string; taken leniently as a quoted string or a run of
# anything but white space, controls and the separators of the enclosing header (an empty value,
# `;tag=`, is tolerated: it round-trips and harms nothing).
GEN_VALUE = rf'(?:{QUOTED}|[^\x00-\x20\x7f";,<>]++)'
# generic-param = token [ EQUAL gen-value ];  SEMI = SWS ";" SWS;  EQUAL = SWS "=" SWS
PARAMS = rf"(?:[ \t]*+;[ \t]*+{TOKEN}(?:[ \t]*+=[ \t]*+{GEN_VALUE}?)?)*+"

# name-addr = [ display-name ] LAQUOT addr-spec RAQUOT;  display-name = *(token LWS) / quoted-string
# addr-spec = SIP-URI / SIPS-URI / absoluteURI
# In the addr-spec form (no angle brackets) the URI cannot hold ";", "," or "?" (§20.10): what
# follows a ";" belongs to the header, and a URI needing those characters must be bracketed.
# Inside the brackets no white space is taken (RFC 4475 §3.1.2.14, "badaspec").
# From / To / Contact / Route / Record-Route = ( name-addr / addr-spec ) *( SEMI generic-param )
_BARE_USER_CHAR = r"[A-Za-z0-9\-_.!~*'()&=+$/#]"  # _USER_CHAR without ";", "?" and ","
_BARE_PASSWORD_CHAR = r"[A-Za-z0-9\-_.!~*'()&=+$]"  # _PASSWORD_CHAR without ","
_BARE_SIP_URI = _unnamed(_sip_uri(_BARE_USER_CHAR, _BARE_PASSWORD_CHAR, with_params=False))
name_addr_re = re.compile(
    r"(?:"
    rf"(?:(?P<quoted>{QUOTED})|(?P<tokens>{TOKEN}(?:[ \t]++{TOKEN})*+))?[ \t]*+"
    rf"<(?P<uri>{_unnamed(SIP_URI)}|{_unnamed(ABSOLUTE_URI)})>"
    rf"|(?P<spec>{_BARE_SIP_URI}|{_NOT_SIP}{SCHEME}:[^\x00-\x20\x7f<>\";,?]++)"
    rf")(?P<params>{PARAMS})[ \t]*+"
)

# Contact / Route / Record-Route: a list of those, ( name-addr / addr-spec ) *( COMMA ... ), where
# empty elements are skipped as `Headers.values` skips them.
_NAME_ADDR = _unnamed(name_addr_re.pattern)
name_addr_list_re = re.compile(
    rf"[ \t,]*+(?:{_NAME_ADDR}(?:[ \t]*+,[ \t,]*+{_NAME_ADDR})*+)?[ \t,]*+"
)

# Via = ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm)
# via-parm = sent-protocol LWS sent-by *( SEMI via-params )
# sent-protocol = protocol-name SLASH protocol-version SLASH transport;  SLASH = SWS "/" SWS
# sent-by = host [ COLON port ];  COLON = SWS ":" SWS
via_re = re.compile(
    rf"(?P<name>{TOKEN})[ \t]*+/[ \t]*+(?P<version>{TOKEN})[ \t]*+/[ \t]*+(?P<transport>{TOKEN})"
    rf"[ \t]++(?P<host>{HOST})(?:[ \t]*+:[ \t]*+(?P<port>{PORT}))?"
    rf"(?P<params>{PARAMS})[ \t]*+"
)

# CSeq = "CSeq" HCOLON 1*DIGIT LWS Method  (the number is below 2**31, §8.1.1.5)
cseq_re = re.compile(rf"([0-9]{{1,10}})[ \t]++({TOKEN})")

# Call-ID = ( "Call-ID" / "i" ) HCOLON callid;  callid = word [ "@" word ]
# word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" /
#        "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" )
_WORD = r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]++"
callid_re = re.compile(rf"{_WORD}(?:@{_WORD})?")

# Max-Forwards = "Max-Forwards" HCOLON 1*DIGIT;  Content-Length = ... HCOLON 1*DIGIT
digits_re = re.compile(r"[0-9]{1,10}")

# Characters that may stand unescaped in the user part (unreserved / user-unreserved, §25.1).
USER_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,;?/"
# ... and in the password (unreserved / "&" / "=" / "+" / "$" / ",").
PASSWORD_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()&=+$,"
