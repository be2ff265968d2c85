"""Tests for webphone.sip.message: `parse()` and `bytes()`.

One table of wire cases checked both ways (bytes -> message and message -> bytes), fed whole,
after stray CRLFs, with bare LF line ends and with trailing bytes after the body; the captured
messages in tests/fixtures/sip; the RFC 4475 torture tests (reconstructed below); the limits.
A datagram parser has no byte-by-byte feeding: a SIP message arrives whole in one WebSocket
frame or one UDP datagram.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from webphone.sip import (
    AbsoluteUri,
    CSeq,
    Headers,
    MutableHeaders,
    ParseError,
    Request,
    Response,
    SipUri,
    parse,
)
from webphone.sip import message as message_module

# === The RFC 4475 torture messages, reconstructed ==========================================
# Each keeps the RFC's name (`wsinv`, `intmeth` ...). Line ends are CRLF; folded lines keep their
# leading blanks; the characters the RFC writes as <hex>..</hex> are Python escapes here. Bodies
# are the RFC's where they are short; `inv2543` and `mpart01` carry bodies of the same shape,
# with a Content-Length that matches them.

SDP_150 = (
    "v=0\n"
    "o=mhandley 29739 7272939 IN IP4 192.0.2.3\n"
    "s=-\n"
    "c=IN IP4 192.0.2.4\n"
    "t=0 0\n"
    "m=audio 49217 RTP/AVP 0 12\n"
    "m=video 3227 RTP/AVP 31\n"
    "a=rtpmap:31 LPC\n"
)


def crlf(text: str) -> bytes:
    """The text with every LF made CRLF, as UTF-8."""
    return text.replace("\n", "\r\n").encode()


# --- 3.1.1 Valid messages: a parser must accept them ---------------------------------------

WSINV = crlf(
    "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\n"
    "TO :\n"
    " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\n"
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>\n'
    "  ;\n"
    "  tag = 98asjd8\n"
    "MaX-fOrWaRdS: 0068\n"
    "Call-ID: wsinv.ndaksdj@192.0.2.1\n"
    "Content-Length   : 150\n"
    "cseq: 0009\n"
    "  INVITE\n"
    "Via  : SIP  /   2.0\n"
    " /UDP\n"
    "    192.0.2.2;branch=390skdjuw\n"
    "s :\n"
    "NewFangledHeader:   newfangled value\n"
    " continued newfangled value\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
    "Content-Type: application/sdp\n"
    "Route:\n"
    " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\n"
    "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n"
    "  branch  =   z9hG4bK9ikj8  ,\n"
    " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n"
    " z9hG4bK30239\n"
    'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =\n'
    "      newvalue ;\n"
    "  secondparam ; q = 0.33\n"
    "\n" + SDP_150
)

INTMETH = crlf(
    "!interesting-Method0123456789_*+`.%indeed'~ "
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
    "(doesn't-it)@example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n"
    'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" '
    "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\n"
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>"
    ";fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.\n"
    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n"
    "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n"
    "Max-Forwards: 255\n"
    "extensionHeader-!.%*+_`'~:\ufeff大停電\n"
    "Content-Length: 0\n"
    "\n"
)

ESC01 = crlf(
    "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0\n"
    "To: sip:%75se%72@example.com\n"
    "From: <sip:I%20have%20spaces@example.net>;tag=938\n"
    "Max-Forwards: 87\n"
    "i: esc01.239409asdfakjkn23onasd0-3234\n"
    "CSeq: 234234 INVITE\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw\n"
    "C: application/sdp\n"
    "Contact:\n"
    "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>\n"
    "Content-Length: 150\n"
    "\n" + SDP_150
)

ESCNULL = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:null-%00-null@example.com\n"
    "From: sip:null-%00-null@example.com;tag=839923423\n"
    "Max-Forwards: 70\n"
    "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n"
    "CSeq: 14398234 REGISTER\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
    "Contact: <sip:%00@host5.example.com>\n"
    "Contact: <sip:%00%00@host5.example.com>\n"
    "L:0\n"
    "\n"
)

ESC02 = crlf(
    "RE%47IST%45R sip:registrar.example.com SIP/2.0\n"
    'To: "%Z%45" <sip:resource@example.com>\n'
    'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23\n'
    "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf\n"
    "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234\n"
    "CSeq: 29344 RE%47IST%45R\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:alias1@host1.example.com>\n"
    "C%6Fntact: <sip:alias2@host2.example.com>\n"
    "Contact: <sip:alias3@host3.example.com>\n"
    "l: 0\n"
    "\n"
)

LWSDISP = crlf(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: caller<sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID: lwsdisp.1234abcd@funky.example.com\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)

_VIA_SPELLINGS = ["v", "V", "Via", "ViA", "VIa", "VIA", "via", "viA", "vIa", "vIA"]
LONGREQ = crlf(
    "INVITE sip:user@example.com SIP/2.0\n"
    f'To: "I have a user name of {"extreme" * 10} proportion"'
    f"<sip:user@example.com:6000;unknownparam1=very{'long' * 20}value;"
    f"longparam{'name' * 25}=shortvalue;very{'long' * 25}ParameterNameWithNoValue>\n"
    f"F: sip:{'amazinglylongcallername' * 5}@example.net;tag=12{'982' * 50}424;"
    f"unknownheaderparam{'name' * 20}=unknowheaderparam{'value' * 15};"
    f"unknownValueless{'paramname' * 10}\n"
    f"Call-ID: longreq.one{'really' * 20}longcallid\n"
    "CSeq: 3882340 INVITE\n"
    f"Unknown-{'Long' * 20}-Name: unknown-{'long' * 20}-value;"
    f"unknown-{'long' * 20}-parameter-name=unknown-{'long' * 20}-parameter-value\n"
    + "".join(
        f"{_VIA_SPELLINGS[i % len(_VIA_SPELLINGS)]}{' ' * (i % 3)}: "
        f"SIP/2.0/TCP sip{33 - i}.example.com\n"
        for i in range(33)
    )
    + f"Via: SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very{'long' * 50}branchvalue\n"
    "Max-Forwards: 70\n"
    f"Contact: <sip:{'amazinglylongcallername' * 5}@host5.example.net>\n"
    "Content-Type: application/sdp\n"
    "l: 150\n"
    "\n" + SDP_150
)

_DBLREQ_SECOND = (
    "INVITE sip:joe@example.com SIP/2.0\n"
    "t: sip:joe@example.com\n"
    "From: sip:caller@example.net;tag=141334\n"
    "Max-Forwards: 8\n"
    "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 150\n"
    "\n" + SDP_150
)
DBLREQ = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:j.user@example.com;tag=43251j3j324\n"
    "Max-Forwards: 8\n"
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412\n"
    "Contact: sip:j.user@host.example.com\n"
    "CSeq: 8 REGISTER\n"
    "Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492\n"
    "Content-Length: 0\n"
    "\n" + _DBLREQ_SECOND
)

SEMIURI = crlf(
    "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "From: sip:caller@example.org;tag=33242\n"
    "Max-Forwards: 3\n"
    "Call-ID: semiuri.0ha0isndaksdj\n"
    "CSeq: 8 OPTIONS\n"
    "Accept: application/sdp, application/pkcs7-mime,\n"
    "        multipart/mixed, multipart/signed,\n"
    "        message/sip, message/sipfrag\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)

TRANSPORTS = crlf(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: <sip:caller@example.com>;tag=323\n"
    "Max-Forwards: 70\n"
    "Call-ID:  transports.kijh4akdnaqjkwendsasfdj\n"
    "Accept: application/sdp\n"
    "CSeq: 60 OPTIONS\n"
    "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw\n"
    "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\n"
    "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\n"
    "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\n"
    "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\n"
    "l: 0\n"
    "\n"
)

# A text part and a binary (S/MIME-like) part: the body is not UTF-8 and holds CRLFCRLF.
MPART01_BODY = (
    b"--7a9cbec02ceef655\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Transfer-Encoding: binary\r\n"
    b"\r\n"
    b"Hello\r\n"
    b"--7a9cbec02ceef655\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: binary\r\n"
    b"\r\n" + bytes(range(256)) + b"\r\n"
    b"--7a9cbec02ceef655--\r\n"
)
MPART01 = (
    crlf(
        "MESSAGE sip:kumiko@example.org SIP/2.0\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport\n"
        "Max-Forwards: 70\n"
        "Route: <sip:127.0.0.1:5080>\n"
        "Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuL\n"
        " IrO0VXwMnC6SAL6KqfHZiHaBLSE3cs8UN6+Kd3hOuvk5ukDhoqp\n"
        "Contact: <sip:fluffy@127.0.0.1:5070>\n"
        "To: <sip:kumiko@example.org>\n"
        "From: <sip:fluffy@example.com>;tag=2fb0dcc9\n"
        "Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..\n"
        "CSeq: 1 MESSAGE\n"
        "Content-Transfer-Encoding: binary\n"
        "Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\n"
        "Date: Sat, 15 Oct 2005 04:44:56 GMT\n"
        "User-Agent: SIPimp.org/0.2.5 (curses)\n"
        f"Content-Length: {len(MPART01_BODY)}\n"
        "\n"
    )
    + MPART01_BODY
)

_SDP_198 = SDP_150.replace("192.0.2.3", "192.0.2.198").replace("192.0.2.4", "192.0.2.198")
UNREASON = crlf(
    "SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое\n"
    "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
    "Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
    "CSeq: 35 INVITE\n"
    "From: sip:user@example.com;tag=11141343\n"
    "To: sip:user@example.edu;tag=2229\n"
    "Content-Length: 154\n"
    "Content-Type: application/sdp\n"
    "Contact: <sip:user@host198.example.com>\n"
    "\n" + _SDP_198
)

NOREASON = (
    b"SIP/2.0 100 \r\n"  # the SP before the (empty) reason is there
    b"Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\r\n"
    b"Call-ID: noreason.asndj203insdf99223ndf\r\n"
    b"CSeq: 35 INVITE\r\n"
    b"From: <sip:user@example.com>;tag=39ansfi3\r\n"
    b"To: <sip:user@example.edu>;tag=902jndnke3\r\n"
    b"Content-Length: 0\r\n"
    b"Contact: <sip:user@host105.example.com>\r\n"
    b"\r\n"
)

# --- 3.2-3.4: valid syntax; transaction or application layers act on them ------------------

BADBRANCH = crlf(  # the branch is only the magic cookie: a transaction-layer matter
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.org;tag=33242\n"
    "Max-Forwards: 3\n"
    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\n"
    "Accept: application/sdp\n"
    "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n\n"
    "CSeq: 8 OPTIONS\n"
    "l: 0\n"
    "\n"
)

UNKSCM = crlf(  # 416 Unsupported URI Scheme is the application's answer
    "OPTIONS nobodyknowsthisscheme:totallyopaquecontent SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=384\n"
    "Max-Forwards: 3\n"
    "Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34\n"
    "CSeq: 3923423 OPTIONS\n"
    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\n"
    "Content-Length: 0\n"
    "\n"
)

NOVELSC = crlf(
    "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=384\n"
    "Max-Forwards: 3\n"
    "Call-ID: novelsc.asdfasser0q239nwsdfasdkl34\n"
    "CSeq: 3923423 OPTIONS\n"
    "Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234\n"
    "Content-Length: 0\n"
    "\n"
)

UNKSM2 = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: isbn:2983792873\n"
    "From: <http://www.example.com>;tag=3234233\n"
    "Call-ID: unksm2.daksdj@hyphenated-host.example.com\n"
    "CSeq: 234902 REGISTER\n"
    "Max-Forwards: 70\n"
    "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw\n"
    "Contact: <name:John_Smith>\n"
    "l: 0\n"
    "\n"
)

BEXT01 = crlf(  # 420 Bad Extension is the application's answer
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "From: sip:caller@example.net;tag=242etr\n"
    "Max-Forwards: 6\n"
    "Call-ID: bext01.0ha0isndaksdj\n"
    "Require: nothingSupportsThis, nothingSupportsThisEither\n"
    "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\n"
    "CSeq: 8 OPTIONS\n"
    "Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw\n"
    "Content-Length: 0\n"
    "\n"
)

INVUT = crlf(  # 415 Unsupported Media Type is the application's answer
    "INVITE sip:user@example.com SIP/2.0\n"
    "Contact: <sip:caller@host5.example.net>\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=8392034\n"
    "Max-Forwards: 70\n"
    "Call-ID: invut.0ha0isndaksdjadsfij34n23d\n"
    "CSeq: 235448 INVITE\n"
    "Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw\n"
    "Content-Type: application/unknownformat\n"
    "Content-Length: 40\n"
    "\n"
    "<audio>\n"
    ' <pcmu port="443"/>\n'
    "</audio>\n"
)

REGAUT01 = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:j.user@example.com;tag=87321hj23128\n"
    "Max-Forwards: 8\n"
    "Call-ID: regaut01.0ha0isndaksdj\n"
    "CSeq: 9338 REGISTER\n"
    "Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw\n"
    "Authorization: NoOneKnowsThisScheme opaque-data=here\n"
    "Content-Length:0\n"
    "\n"
)

BCAST = crlf(  # a proxy drops it; the parser has nothing against it
    "SIP/2.0 200 OK\n"
    "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
    "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23\n"
    "Call-ID: bcast.0293242jsdfasdf\n"
    "CSeq: 35 INVITE\n"
    "From: sip:user@example.com;tag=11141343\n"
    "To: sip:user@example.edu;tag=2229\n"
    "Content-Length: 154\n"
    "Content-Type: application/sdp\n"
    "Contact: <sip:user@host28.example.com>\n"
    "\n" + _SDP_198
)

ZEROMF = crlf(  # 483 Too Many Hops is the proxy's answer
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=3ghsd41\n"
    "Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas\n"
    "CSeq: 39234321 OPTIONS\n"
    "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i\n"
    "Max-Forwards: 0\n"
    "Content-Length: 0\n"
    "\n"
)

CPARAM01 = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw\n"
    "Max-Forwards: 70\n"
    "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe\n"
    "To: sip:watson@example.com\n"
    "Call-ID: cparam01.70710@saturn.example.com\n"
    "CSeq: 2 REGISTER\n"
    "Contact: sip:+19725552222@gw1.example.net;unknownparam\n"
    "l: 0\n"
    "\n"
)

CPARAM02 = CPARAM01.replace(
    b"Contact: sip:+19725552222@gw1.example.net;unknownparam",
    b"Contact: <sip:+19725552222@gw1.example.net;unknownparam>",
).replace(b"cparam01", b"cparam02")

REGESCRT = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=8\n"
    "Max-Forwards: 70\n"
    "Call-ID: regescrt.k345asrl3fdbv@192.0.2.1\n"
    "CSeq: 14398234 REGISTER\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
    "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\n"
    "L:0\n"
    "\n"
)

SDP01 = crlf(
    "INVITE sip:user@example.com SIP/2.0\n"
    "To: sip:j_user@example.com\n"
    "Contact: <sip:caller@host15.example.net>\n"
    "From: sip:caller@example.net;tag=234\n"
    "Max-Forwards: 5\n"
    "Call-ID: sdp01.ndaksdj9342dasdd\n"
    "Accept: text/nobodyknowsthis\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 60.3.4.5;branch=z9hG4bKkdjuw\n"
    "Content-Length: 150\n"
    "Content-Type: application/sdp\n"
    "\n" + SDP_150
)

_T38 = (
    "v=0\n"
    "o=faxgw1 2890844527 2890844527 IN IP4 iftgw.example.com\n"
    "s=Session SDP\n"
    "c=IN IP4 iftmg.example.com\n"
    "t=0 0\n"
    "m=image 49172 udptl t38\n"
    "a=T38FaxVersion:0\n"
    "a=T38maxBitRate:14400\n"
    "a=T38FaxFillBitRemoval:0\n"
    "a=T38FaxTranscodingMMR:0\n"
    "a=T38FaxTranscodingJBIG:0\n"
    "a=T38FaxRateManagement:transferredTCF\n"
    "a=T38FaxMaxBuffer:260\n"
    "a=T38FaxUdpEC:t38UDPRedundancy\n"
)
INV2543 = crlf(  # RFC 2543 syntax: no branch, no From tag, no Max-Forwards
    "INVITE sip:UserB@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP iftgw.example.com\n"
    "From: <sip:+13035551111@ift.here.example.com;user=phone>\n"
    "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>\n"
    "To: sip:+16505552222@ss1.example.net;user=phone\n"
    "Call-ID: 1717@ift.here.example.com\n"
    "CSeq: 56 INVITE\n"
    "Content-Type: application/sdp\n"
    f"Content-Length: {len(crlf(_T38))}\n"
    "\n" + _T38
)

# --- 3.1.2 Invalid messages, and 3.3 ones a parser may already refuse -----------------------

BADINV01 = crlf(
    "INVITE sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;;tag=134161461246\n"
    "Max-Forwards: 7\n"
    "Call-ID: badinv01.0ha0isndaksdjasdf3234nas\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\n"
    'Contact: "Joe" <sip:joe@example.org>;;;;\n'
    "Content-Length: 150\n"
    "Content-Type: application/sdp\n"
    "\n" + SDP_150
)

CLERR = crlf(
    "INVITE sip:user@example.com SIP/2.0\n"
    "Max-Forwards: 80\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=93942939o2\n"
    "Contact: <sip:caller@hungry.example.net>\n"
    "Call-ID: clerr.0ha0isndaksdjweiafasdk3\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 9999\n"
    "\n" + SDP_150
)

NCL = crlf(
    "INVITE sip:user@example.com SIP/2.0\n"
    "Max-Forwards: 254\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=32394234\n"
    "Call-ID: ncl.0ha0isndaksdj2193423r542w35\n"
    "CSeq: 0 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw\n"
    "Contact: <sip:caller@example53.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: -999\n"
    "\n" + SDP_150
)

SCALAR02 = crlf(
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3\n"
    "To: <sip:user@example.com>\n"
    "From: <sip:user@example.com>;tag=239232jh3\n"
    "CSeq: 36893488147419103232 REGISTER\n"
    "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32\n"
    "Max-Forwards: 300\n"
    f"Expires: 1{'0' * 100}\n"
    "Contact: <sip:user@host129.example.com>;expires=280297596632815\n"
    "Content-Length: 0\n"
    "\n"
)

SCALARLG = crlf(
    "SIP/2.0 503 Service Unavailable\n"
    "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129\n"
    "To: <sip:user@example.com>\n"
    "From: <sip:other@example.net>;tag=2easdjfejw\n"
    "CSeq: 9292394834772304023312 OPTIONS\n"
    "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r\n"
    "Retry-After: 949302838503028349304023988\n"
    'Warning: 1812 overture "In Progress"\n'
    "Content-Length: 0\n"
    "\n"
)

QUOTBAL = crlf(
    "INVITE sip:user@example.com SIP/2.0\n"
    'To: "Mr. J. User <sip:j.user@example.com>\n'
    "From: sip:caller@example.net;tag=93334\n"
    "Max-Forwards: 10\n"
    "Call-ID: quotbal.aksdj\n"
    "Contact: <sip:caller@host59.example.net>\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 150\n"
    "\n" + SDP_150
)

_LTGT_HEADERS = (
    "To: sip:user@example.com\n"
    "From: sip:caller@example.net;tag=39291\n"
    "Max-Forwards: 23\n"
    "Call-ID: ltgtruri.1@192.0.2.5\n"
    "CSeq: 1 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.5\n"
    "Contact: <sip:caller@host5.example.net>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 150\n"
    "\n" + SDP_150
)
LTGTRURI = crlf("INVITE <sip:user@example.com> SIP/2.0\n" + _LTGT_HEADERS)
LWSRURI = crlf("INVITE sip:user@example.com; lr SIP/2.0\n" + _LTGT_HEADERS)
LWSSTART = crlf("INVITE  sip:user@example.com  SIP/2.0\n" + _LTGT_HEADERS)
TRWS = crlf("INVITE sip:user@example.com SIP/2.0  \n" + _LTGT_HEADERS)
ESCRURI = crlf("INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0\n" + _LTGT_HEADERS)
# The same headers under a clean request line: the control for the five above.
LTGT_CONTROL = crlf("INVITE sip:user@example.com SIP/2.0\n" + _LTGT_HEADERS)

REGBADCT = crlf(  # an addr-spec cannot carry URI headers: they need the brackets
    "REGISTER sip:example.com SIP/2.0\n"
    "To: sip:user@example.com\n"
    "From: sip:user@example.com;tag=998332\n"
    "Max-Forwards: 70\n"
    "Call-ID: regbadct.k345asrl3fdbv@10.0.0.1\n"
    "CSeq: 1 REGISTER\n"
    "Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw\n"
    "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E\n"
    "l: 0\n"
    "\n"
)

BADASPEC = crlf(
    "OPTIONS sip:user@example.org SIP/2.0\n"
    "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234\n"
    "Max-Forwards: 70\n"
    'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423\n'
    'To: "Watson, Thomas" < sip:t.watson@example.org >\n'
    "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3\n"
    "Accept: application/sdp\n"
    "CSeq: 3923239 OPTIONS\n"
    "l: 0\n"
    "\n"
)

BADDN = crlf(
    "OPTIONS sip:t.watson@example.org SIP/2.0\n"
    "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw\n"
    "Max-Forwards:      70\n"
    "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43\n"
    "To:      Watson, Thomas <sip:t.watson@example.org>\n"
    "Call-ID: baddn.31415@c.example.com\n"
    "Accept: application/sdp\n"
    "CSeq:    3923239 OPTIONS\n"
    "l: 0\n"
    "\n"
)

BADVERS = crlf(
    "OPTIONS sip:t.watson@example.org SIP/7.0\n"
    "Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\n"
    "Max-Forwards:     70\n"
    "From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\n"
    "To:      T. Watson <sip:t.watson@example.org>\n"
    "Call-ID: badvers.31417@c.example.com\n"
    "CSeq:    1 OPTIONS\n"
    "l: 0\n"
    "\n"
)

MISMATCH01 = crlf(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=34525\n"
    "Max-Forwards: 6\n"
    "Call-ID: mismatch01.dj0234sxdfl3\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)

MISMATCH02 = crlf(
    "NEWMETHOD sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=34525\n"
    "Max-Forwards: 6\n"
    "Call-ID: mismatch02.dj0234sxdfl3\n"
    "CSeq: 8 INVITE\n"
    "Contact: <sip:caller@host.example.net>\n"
    "Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)

BIGCODE = crlf(
    "SIP/2.0 4294967301 better not break the receiver\n"
    "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe\n"
    "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i\n"
    "CSeq: 353494 INVITE\n"
    "From: <sip:user@example.com>;tag=39ansfi3\n"
    "To: <sip:user@example.edu>;tag=902jndnke3\n"
    "Content-Length: 0\n"
    "Contact: <sip:user@host105.example.com>\n"
    "\n"
)

INSUF = crlf(  # no Call-ID, From or To
    "INVITE sip:user@example.com SIP/2.0\n"
    "CSeq: 193942 INVITE\n"
    "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\n"
    "Content-Type: application/sdp\n"
    "l: 150\n"
    "\n" + SDP_150
)

MULTI01 = crlf(
    "INVITE sip:user@company.com SIP/2.0\n"
    "Contact: <sip:caller@host25.example.net>\n"
    "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw\n"
    "Max-Forwards: 70\n"
    "CSeq: 5 INVITE\n"
    "Call-ID: multi01.98asdh@192.0.2.1\n"
    "CSeq: 59 INVITE\n"
    "Call-ID: multi01.98asdh@192.0.2.2\n"
    "From: sip:caller@example.com;tag=3413415\n"
    "To: sip:user@example.com\n"
    "To: sip:other@example.net\n"
    "From: sip:caller@example.net;tag=2923420123\n"
    "Content-Type: application/sdp\n"
    "l: 150\n"
    "Contact: <sip:caller@host36.example.net>\n"
    "Max-Forwards: 5\n"
    "\n" + SDP_150
)

MCL01 = crlf(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423\n"
    "To: sip:user@example.com\n"
    "From: sip:other@example.net;tag=3923942\n"
    "Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf\n"
    "CSeq: 15932 OPTIONS\n"
    "Content-Length: 13\n"
    "Max-Forwards: 60\n"
    "Content-Length: 5\n"
    "Content-Type: text/plain\n"
    "\n"
    "There's no way to know how many octets are supposed to be here.\n"
)


def parse_request(data: bytes) -> Request:
    message = parse(data)
    assert isinstance(message, Request)
    return message


def parse_response(data: bytes) -> Response:
    message = parse(data)
    assert isinstance(message, Response)
    return message


# === The wire-case table ====================================================================


def wire(start: str, *headers: str, body: bytes = b"") -> bytes:
    """A message from its start line and header lines, CRLF after each, then the body."""
    return (start + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode() + body


SDP = (
    b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    b"m=audio 49170 RTP/AVP 0\r\n"
)

# (id, bytes on the wire, the message they are); each is checked both ways.
WIRE_CASES: list[tuple[str, bytes, Request | Response]] = [
    (
        "register-jssip",
        wire(
            "REGISTER sip:127.0.0.1 SIP/2.0",
            "Via: SIP/2.0/WS pepgsjcv4lq1.invalid;branch=z9hG4bK8327036",
            "Max-Forwards: 69",
            "To: <sip:alice@127.0.0.1>",
            "From: <sip:alice@127.0.0.1>;tag=fs0fmcd64r",
            "Call-ID: cakqrr4krqea93oc3neic7",
            "CSeq: 1 REGISTER",
            "Contact: <sip:hojvgjdp@pepgsjcv4lq1.invalid;transport=ws>;+sip.ice;reg-id=1;"
            '+sip.instance="<urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08>";expires=300',
            "Expires: 300",
            "Content-Length: 0",
        ),
        Request(
            "REGISTER",
            SipUri("127.0.0.1"),
            Headers(
                [
                    ("Via", "SIP/2.0/WS pepgsjcv4lq1.invalid;branch=z9hG4bK8327036"),
                    ("Max-Forwards", "69"),
                    ("To", "<sip:alice@127.0.0.1>"),
                    ("From", "<sip:alice@127.0.0.1>;tag=fs0fmcd64r"),
                    ("Call-ID", "cakqrr4krqea93oc3neic7"),
                    ("CSeq", "1 REGISTER"),
                    (
                        "Contact",
                        "<sip:hojvgjdp@pepgsjcv4lq1.invalid;transport=ws>;+sip.ice;reg-id=1;"
                        '+sip.instance="<urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08>";expires=300',
                    ),
                    ("Expires", "300"),
                    ("Content-Length", "0"),
                ]
            ),
        ),
    ),
    (
        "invite-with-sdp",
        wire(
            "INVITE sip:bob@example.com;transport=ws SIP/2.0",
            "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;rport",
            "Route: <sip:proxy.example.com;lr>, <sip:edge.example.com;lr=on>",
            "Max-Forwards: 70",
            'From: "Alice Liddell" <sip:alice@example.com>;tag=9fxced76sl',
            "To: Bob <sip:bob@example.com>",
            "Call-ID: 3848276298220188511@atlanta.example.com",
            "CSeq: 314159 INVITE",
            "Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws;ob>",
            "Content-Type: application/sdp",
            f"Content-Length: {len(SDP)}",
            body=SDP,
        ),
        Request(
            "INVITE",
            SipUri("example.com", user="bob", params=(("transport", "ws"),)),
            Headers(
                [
                    ("Via", "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;rport"),
                    ("Route", "<sip:proxy.example.com;lr>, <sip:edge.example.com;lr=on>"),
                    ("Max-Forwards", "70"),
                    ("From", '"Alice Liddell" <sip:alice@example.com>;tag=9fxced76sl'),
                    ("To", "Bob <sip:bob@example.com>"),
                    ("Call-ID", "3848276298220188511@atlanta.example.com"),
                    ("CSeq", "314159 INVITE"),
                    ("Contact", "<sip:alice@df7jal23ls0d.invalid;transport=ws;ob>"),
                    ("Content-Type", "application/sdp"),
                    ("Content-Length", str(len(SDP))),
                ]
            ),
            SDP,
        ),
    ),
    (
        "200-with-sdp",
        wire(
            "SIP/2.0 200 OK",
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5060",
            "To: <sip:bob@example.com>;tag=a6c85cf",
            "From: <sip:alice@example.com>;tag=1928301774",
            "Call-ID: a84b4c76e66710",
            "CSeq: 314159 INVITE",
            "Record-Route: <sip:127.0.0.1;lr=on>",
            "Contact: <sip:bob@192.0.2.4>",
            "Content-Type: application/sdp",
            f"Content-Length: {len(SDP)}",
            body=SDP,
        ),
        Response(
            200,
            "OK",
            Headers(
                [
                    (
                        "Via",
                        "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;"
                        "received=192.0.2.1;rport=5060",
                    ),
                    ("To", "<sip:bob@example.com>;tag=a6c85cf"),
                    ("From", "<sip:alice@example.com>;tag=1928301774"),
                    ("Call-ID", "a84b4c76e66710"),
                    ("CSeq", "314159 INVITE"),
                    ("Record-Route", "<sip:127.0.0.1;lr=on>"),
                    ("Contact", "<sip:bob@192.0.2.4>"),
                    ("Content-Type", "application/sdp"),
                    ("Content-Length", str(len(SDP))),
                ]
            ),
            SDP,
        ),
    ),
    (
        "100-free-text-reason",
        wire(
            "SIP/2.0 100 trying -- your call is important to us",
            "Via: SIP/2.0/WS pepgsjcv4lq1.invalid;branch=z9hG4bK4372619;"
            "rport=60746;received=127.0.0.1",
            "To: <sip:bob@127.0.0.1>",
            "From: <sip:alice@127.0.0.1>;tag=3ctoc1p2t3",
            "Call-ID: q89i9u3iom7h7fcrajj5",
            "CSeq: 5713 INVITE",
            "Content-Length: 0",
        ),
        Response(
            100,
            "trying -- your call is important to us",
            Headers(
                [
                    (
                        "Via",
                        "SIP/2.0/WS pepgsjcv4lq1.invalid;branch=z9hG4bK4372619;"
                        "rport=60746;received=127.0.0.1",
                    ),
                    ("To", "<sip:bob@127.0.0.1>"),
                    ("From", "<sip:alice@127.0.0.1>;tag=3ctoc1p2t3"),
                    ("Call-ID", "q89i9u3iom7h7fcrajj5"),
                    ("CSeq", "5713 INVITE"),
                    ("Content-Length", "0"),
                ]
            ),
        ),
    ),
    (
        "180-empty-reason",
        wire(
            "SIP/2.0 180 ",
            "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
            "To: <sip:user@example.edu>;tag=902jndnke3",
            "From: <sip:user@example.com>;tag=39ansfi3",
            "Call-ID: noreason.asndj203insdf99223ndf",
            "CSeq: 35 INVITE",
            "Content-Length: 0",
        ),
        Response(
            180,
            "",
            Headers(
                [
                    ("Via", "SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe"),
                    ("To", "<sip:user@example.edu>;tag=902jndnke3"),
                    ("From", "<sip:user@example.com>;tag=39ansfi3"),
                    ("Call-ID", "noreason.asndj203insdf99223ndf"),
                    ("CSeq", "35 INVITE"),
                    ("Content-Length", "0"),
                ]
            ),
        ),
    ),
    (
        "unknown-method-tel-uri",
        wire(
            "FROBNICATE tel:+1-201-555-0123;phone-context=example.com SIP/2.0",
            "Via: SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74bf9",
            "Max-Forwards: 70",
            "From: sip:alice@example.com;tag=1",
            "To: tel:+1-201-555-0123",
            "Call-ID: a84b4c76e66710@pc33.example.com",
            "CSeq: 1 FROBNICATE",
            'X-Unknown-Header: ;;,,;;,; whatever "it" <is>',
            "Content-Length: 0",
        ),
        Request(
            "FROBNICATE",
            AbsoluteUri("tel", "+1-201-555-0123;phone-context=example.com"),
            Headers(
                [
                    ("Via", "SIP/2.0/TCP client.example.com:5060;branch=z9hG4bK74bf9"),
                    ("Max-Forwards", "70"),
                    ("From", "sip:alice@example.com;tag=1"),
                    ("To", "tel:+1-201-555-0123"),
                    ("Call-ID", "a84b4c76e66710@pc33.example.com"),
                    ("CSeq", "1 FROBNICATE"),
                    ("X-Unknown-Header", ';;,,;;,; whatever "it" <is>'),
                    ("Content-Length", "0"),
                ]
            ),
        ),
    ),
    (
        "sips-ipv6",
        wire(
            "MESSAGE sips:bob:secret@[2001:db8::1]:5061;transport=tls SIP/2.0",
            "Via: SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK-x;received=2001:db8::9;rport=5061",
            "Max-Forwards: 70",
            "From: <sips:alice@[2001:db8::9]>;tag=7",
            "To: <sips:bob@[2001:db8::1]:5061>",
            "Call-ID: v6@2001:db8::9",
            "CSeq: 2 MESSAGE",
            "Content-Type: text/plain",
            "Content-Length: 5",
            body=b"hello",
        ),
        Request(
            "MESSAGE",
            SipUri(
                "[2001:db8::1]",
                user="bob",
                password="secret",
                port=5061,
                params=(("transport", "tls"),),
                scheme="sips",
            ),
            Headers(
                [
                    (
                        "Via",
                        "SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK-x;"
                        "received=2001:db8::9;rport=5061",
                    ),
                    ("Max-Forwards", "70"),
                    ("From", "<sips:alice@[2001:db8::9]>;tag=7"),
                    ("To", "<sips:bob@[2001:db8::1]:5061>"),
                    ("Call-ID", "v6@2001:db8::9"),
                    ("CSeq", "2 MESSAGE"),
                    ("Content-Type", "text/plain"),
                    ("Content-Length", "5"),
                ]
            ),
            b"hello",
        ),
    ),
    (
        "compact-forms",
        wire(
            "OPTIONS sip:alice%40home@example.com SIP/2.0",
            "v: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKhjhs8ass877",
            "f: <sip:carol@chicago.example.com>;tag=1",
            "t: <sip:alice%40home@example.com>",
            "i: 8xCaM31k@pc33.example.com",
            "CSeq: 7 OPTIONS",
            "m: *",
            "k: timer, 100rel",
            "l: 0",
        ),
        Request(
            "OPTIONS",
            SipUri("example.com", user="alice@home"),
            Headers(
                [
                    ("v", "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKhjhs8ass877"),
                    ("f", "<sip:carol@chicago.example.com>;tag=1"),
                    ("t", "<sip:alice%40home@example.com>"),
                    ("i", "8xCaM31k@pc33.example.com"),
                    ("CSeq", "7 OPTIONS"),
                    ("m", "*"),
                    ("k", "timer, 100rel"),
                    ("l", "0"),
                ]
            ),
        ),
    ),
    (
        "no-content-length-utf8-reason",
        wire(
            "SIP/2.0 488 Pas acceptable ici — désolé",
            "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
            "To: <sip:bob@example.com>;tag=2",
            "From: <sip:alice@example.com>;tag=1",
            "Call-ID: 1@192.0.2.1",
            "CSeq: 1 INVITE",
            'Warning: 399 example.com "Incompatible media format"',
            body=b"no length: the body runs to the end",
        ),
        Response(
            488,
            "Pas acceptable ici — désolé",
            Headers(
                [
                    ("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1"),
                    ("To", "<sip:bob@example.com>;tag=2"),
                    ("From", "<sip:alice@example.com>;tag=1"),
                    ("Call-ID", "1@192.0.2.1"),
                    ("CSeq", "1 INVITE"),
                    ("Warning", '399 example.com "Incompatible media format"'),
                ]
            ),
            b"no length: the body runs to the end",
        ),
    ),
]

WIRE_IDS = [case[0] for case in WIRE_CASES]
WIRE_PAIRS = [case[1:] for case in WIRE_CASES]


@pytest.mark.parametrize(("data", "message"), WIRE_PAIRS, ids=WIRE_IDS)
def test_wire_case_parses_to_the_message(data: bytes, message: Request | Response) -> None:
    assert parse(data) == message


@pytest.mark.parametrize(("data", "message"), WIRE_PAIRS, ids=WIRE_IDS)
def test_wire_case_serialises_to_the_bytes(data: bytes, message: Request | Response) -> None:
    assert bytes(message) == data
    assert parse(bytes(message)) == message


# Without Content-Length the body runs to the end of the datagram, so trailing bytes are body.
WIRE_PAIRS_WITH_LENGTH = [pair for pair in WIRE_CASES if "content-length" in pair[2].headers]


@pytest.mark.parametrize(
    ("data", "message"),
    [case[1:] for case in WIRE_PAIRS_WITH_LENGTH],
    ids=[case[0] for case in WIRE_PAIRS_WITH_LENGTH],
)
def test_wire_case_with_trailing_bytes_after_the_body(
    data: bytes, message: Request | Response
) -> None:
    # RFC 3261 §18.3: octets after the announced body (UDP padding, a second message) are dropped
    for trailing in (b"\x00", b"\r\n", b"junk", b"\r\n\r\n" + data, bytes(range(256))):
        assert parse(data + trailing) == message


@pytest.mark.parametrize(("data", "message"), WIRE_PAIRS, ids=WIRE_IDS)
def test_wire_case_after_stray_crlfs(data: bytes, message: Request | Response) -> None:
    assert parse(b"\r\n" + data) == message  # §7.5: CRLFs before the start line are ignored
    assert parse(b"\r\n\r\n\n" + data) == message


@pytest.mark.parametrize(("data", "message"), WIRE_PAIRS, ids=WIRE_IDS)
def test_wire_case_with_bare_lf_line_ends(data: bytes, message: Request | Response) -> None:
    head, _, body = data.partition(b"\r\n\r\n")
    assert parse(head.replace(b"\r\n", b"\n") + b"\n\n" + body) == message


def test_bare_lf_headers_with_a_crlf_body() -> None:
    lf = MPART01.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n") + b"\n\n" + MPART01_BODY
    assert b"\r\n\r\n" in MPART01_BODY
    assert parse(lf) == parse(MPART01)


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_bytes_like_input(kind: type) -> None:
    data = WIRE_PAIRS[1][0]
    message = parse(kind(data))
    assert message == parse(data)
    assert type(message.body) is bytes
    hash(message)


def test_wire_cases_typed_values() -> None:
    invite = parse(WIRE_PAIRS[1][0])
    assert isinstance(invite, Request)
    assert invite.from_.display_name == "Alice Liddell"
    assert invite.from_.tag == "9fxced76sl"
    assert invite.to.display_name == "Bob"
    assert invite.to.tag is None
    assert invite.via.transport == "WSS"
    assert invite.via.param("rport") == ""
    assert invite.via.rport is None  # asked for, not filled in yet
    assert [str(r.uri) for r in invite.routes] == [
        "sip:proxy.example.com;lr",
        "sip:edge.example.com;lr=on",
    ]
    assert invite.cseq == CSeq(314159, "INVITE")
    assert invite.content_type == "application/sdp"
    v6 = parse(WIRE_PAIRS[6][0])
    assert v6.via.host == "[2001:db8::9]"
    assert v6.via.port == 5061
    assert v6.via.received == "2001:db8::9"
    assert v6.via.rport == 5061
    assert v6.to.uri == SipUri("[2001:db8::1]", user="bob", port=5061, scheme="sips")
    compact = parse(WIRE_PAIRS[7][0])
    assert compact.call_id == "8xCaM31k@pc33.example.com"
    assert compact.headers.get("Content-Length") == "0"
    assert compact.headers.get("Supported") == "timer, 100rel"
    assert compact.contact_is_star
    assert compact.contacts == ()
    assert compact.max_forwards is None
    assert compact.to.uri == SipUri("example.com", user="alice@home")


# Input that parses to the same message as a canonical form, which is what bytes() writes.
NORMALISED = [
    pytest.param(
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject: I know you're there,\r\n"
        b"         pick up the phone\r\n   and talk to me!\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\n"
        b"Subject: I know you're there, pick up the phone and talk to me!\r\n",
        id="folding",
    ),
    pytest.param(
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject:\r\n\tfolded onto an empty value\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject: folded onto an empty value\r\n",
        id="folding-after-empty-value",
    ),
    pytest.param(
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject: a\r\n   \r\n \t\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject: a\r\n",
        id="blank-continuation-lines",
    ),
    pytest.param(
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject  \t:   padded value \t \r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject: padded value\r\n",
        id="blanks-around-colon-and-value",
    ),
    pytest.param(
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject:no-space\r\n",
        b"OPTIONS sip:a@b SIP/2.0\r\nSubject: no-space\r\n",
        id="no-space-after-colon",
    ),
    pytest.param(
        b"OPTIONS sip:%61%6C%69%63%65@b sip/2.0\r\n",
        b"OPTIONS sip:alice@b SIP/2.0\r\n",
        id="escaped-unreserved-and-lowercase-version",
    ),
    pytest.param(b"SIP/2.0 100\r\n", b"SIP/2.0 100 \r\n", id="status-line-without-sp"),
]

_NORMALISED_TAIL = (
    b"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
    b"Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)


@pytest.mark.parametrize(("data", "canonical"), NORMALISED)
def test_tolerated_spellings_serialise_canonically(data: bytes, canonical: bytes) -> None:
    message = parse(data + _NORMALISED_TAIL)
    assert bytes(message) == canonical + _NORMALISED_TAIL
    assert parse(bytes(message)) == message


def test_headers_keep_their_spelling_and_order() -> None:
    data = wire(
        "OPTIONS sip:a@b SIP/2.0",
        "vIA: SIP/2.0/UDP h;branch=z9hG4bK1",
        "Via: SIP/2.0/UDP h2;branch=z9hG4bK2, SIP/2.0/UDP h3;branch=z9hG4bK3",
        "FROM: <sip:a@b>;tag=1",
        "t: <sip:a@b>",
        "call-id: x",
        "cseq: 1 OPTIONS",
        "X-Custom: 1",
        "x-custom: 2",
    )
    message = parse(data)
    assert [name for name, _ in message.headers] == [
        "vIA",
        "Via",
        "FROM",
        "t",
        "call-id",
        "cseq",
        "X-Custom",
        "x-custom",
    ]
    assert [v.host for v in message.vias] == ["h", "h2", "h3"]
    assert message.headers.get_all("X-CUSTOM") == ["1", "2"]
    assert bytes(message) == data.replace(b"vIA:", b"vIA:")  # written back as read


# === The captured messages (tests/fixtures/sip) =============================================


def test_every_capture_parses_and_round_trips(captured_sip: bytes) -> None:
    message = parse(captured_sip)
    assert parse(bytes(message)) == message
    # Byte for byte, but for SIPp's padded `Content-Length:   128`, written with one space.
    assert bytes(message) == re.sub(rb"(?m)^Content-Length: +", b"Content-Length: ", captured_sip)


def test_every_capture_gives_its_typed_values(captured_sip: bytes) -> None:
    message = parse(captured_sip)
    assert message.cseq.seq >= 1
    assert message.via.branch is not None and message.via.branch.startswith("z9hG4bK")
    assert message.from_.tag
    for value in (message.to, *message.contacts, *message.routes, *message.record_routes):
        assert isinstance(value.uri, SipUri)
    length = message.headers.get("content-length")
    assert length is not None and int(length) == len(message.body)
    if isinstance(message, Request):
        assert message.max_forwards is not None and 0 < message.max_forwards <= 70


@pytest.mark.parametrize("number", ["01", "02"])
def test_the_websocket_handshake_is_not_sip(number: str) -> None:
    (http,) = (Path(__file__).parent.parent / "fixtures" / "sip").glob(f"{number}-*.http")
    with pytest.raises(ParseError) as e:
        parse(http.read_bytes())
    assert e.value.status == 400


def test_capture_66_kamailio_forwarded_invite_over_udp(captured: Callable[[int], bytes]) -> None:
    message = parse(captured(66))
    assert isinstance(message, Request)
    assert message.uri == SipUri(
        "127.0.0.1", user="sippuas", port=5070, params=(("transport", "udp"),)
    )
    top, sipp = message.vias
    assert (top.transport, top.host, top.port) == ("UDP", "127.0.0.1", None)
    assert top.branch == "z9hG4bKab67.3bf270ca2e3f179e612788bfadd6449b.0"
    assert top.received is None and top.rport is None
    assert (sipp.host, sipp.port, sipp.sent_by) == ("127.0.0.1", 5072, "127.0.0.1:5072")
    assert sipp.branch == "z9hG4bK-16479-1-0"
    assert sipp.received == "127.0.0.1"
    assert sipp.rport == 5072
    (record_route,) = message.record_routes
    assert str(record_route) == "<sip:127.0.0.1;lr=on>"
    assert isinstance(record_route.uri, SipUri)
    assert record_route.uri.param("lr") == "on"
    assert record_route.uri.port is None
    assert message.max_forwards == 69
    assert message.from_.display_name == "sipp"
    assert message.from_.tag == "16479SIPpTag001"
    assert message.to.tag is None
    assert message.headers.get("content-length") == "128"
    assert len(message.body) == 128
    assert message.body.startswith(b"v=0\r\n")


def test_capture_65_sipp_padded_content_length(captured: Callable[[int], bytes]) -> None:
    data = captured(65)
    assert b"Content-Length:   128\r\n" in data
    message = parse(data)
    assert message.headers.get("Content-Length") == "128"
    assert len(message.body) == 128
    assert message.via.param("rport") == ""  # `;rport` without a value: asked for
    assert message.via.rport is None
    assert message.max_forwards == 70


def test_capture_12_kamailio_double_space_in_via(captured: Callable[[int], bytes]) -> None:
    data = captured(12)
    assert b"Via: SIP/2.0/WS  127.0.0.1:8080;" in data
    message = parse(data)
    top, alice = message.vias
    assert (top.transport, top.host, top.port) == ("WS", "127.0.0.1", 8080)
    assert top.branch == "z9hG4bKf23f.11040ee625853f040697c834884a0c28.0"
    assert message.headers.get_all("via")[0].startswith("SIP/2.0/WS  127.0.0.1:8080")  # as sent
    assert (alice.host, alice.port) == ("pepgsjcv4lq1.invalid", None)
    assert alice.rport == 60746
    assert alice.received == "127.0.0.1"
    assert alice.branch == "z9hG4bK4372619"
    assert [p[0] for p in alice.params] == ["rport", "received", "branch"]  # order kept
    (record_route,) = message.record_routes
    assert isinstance(record_route.uri, SipUri)
    assert record_route.uri.port == 8080
    assert record_route.uri.transport == "ws"
    assert record_route.uri.param("lr") == "on"
    (contact,) = message.contacts
    assert isinstance(contact.uri, SipUri)
    assert contact.uri.param("alias") == "127.0.0.1~60746~5"
    assert contact.uri.param("ob") == ""
    assert contact.uri.transport == "ws"
    assert message.max_forwards == 68


@pytest.mark.parametrize("number", [3, 5])
def test_captures_03_05_register_contact_parameters(
    captured: Callable[[int], bytes], number: int
) -> None:
    message = parse(captured(number))
    assert isinstance(message, Request)
    assert message.method == "REGISTER"
    assert message.expires == 300
    (contact,) = message.contacts
    assert contact.param("+sip.ice") == ""
    assert contact.reg_id == 1
    assert contact.param("reg-id") == "1"
    assert contact.instance == "urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08"
    assert contact.param("+sip.instance") == '"<urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08>"'
    assert contact.expires == 300
    assert contact.uri == SipUri(
        "pepgsjcv4lq1.invalid", user="hojvgjdp", params=(("transport", "ws"),)
    )
    assert not message.contact_is_star
    if number == 5:
        authorization = message.headers.get("Authorization")
        assert authorization is not None
        assert authorization.startswith("Digest algorithm=MD5, username=")


def test_capture_06_registrar_200_contact(captured: Callable[[int], bytes]) -> None:
    message = parse(captured(6))
    assert isinstance(message, Response)
    assert (message.status, message.reason, message.is_success) == (200, "OK", True)
    (contact,) = message.contacts
    assert contact.expires == 300
    assert contact.instance == "urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08"
    assert contact.reg_id == 1
    assert contact.param("received") == '"sip:127.0.0.1:60746;transport=ws"'
    assert message.via.rport == 60746
    assert message.via.received == "127.0.0.1"
    assert message.to.tag == "9dd61ff61e802d8e2bef5f14621ef3c2.8b380000"


def test_capture_61_unregister_and_64_no_contact_left(captured: Callable[[int], bytes]) -> None:
    unregister = parse(captured(61))
    assert unregister.expires == 0
    assert unregister.contacts[0].expires == 0
    assert parse(captured(64)).contacts == ()


@pytest.mark.parametrize(
    ("number", "status", "reason"),
    [
        (11, 100, "trying -- your call is important to us"),
        (14, 180, "Ringing"),
        (55, 200, "canceling"),
        (57, 487, "Request Terminated"),
        (8, 407, "Proxy Authentication Required"),
    ],
)
def test_capture_reason_phrases(
    captured: Callable[[int], bytes], number: int, status: int, reason: str
) -> None:
    message = parse(captured(number))
    assert isinstance(message, Response)
    assert (message.status, message.reason) == (status, reason)
    assert message.is_provisional == (status < 200)


def test_capture_18_ack_route_and_36_info_body(captured: Callable[[int], bytes]) -> None:
    ack = parse(captured(18))
    assert isinstance(ack, Request)
    assert ack.method == "ACK" and ack.cseq == CSeq(5713, "ACK")
    (route,) = ack.routes
    assert str(route.uri) == "sip:127.0.0.1:8080;transport=ws;lr=on"
    info = parse(captured(36))
    assert info.content_type == "application/dtmf-relay"
    assert info.body == b"Signal=1\r\nDuration=100"


def test_capture_53_cancel(captured: Callable[[int], bytes]) -> None:
    cancel = parse(captured(53))
    assert isinstance(cancel, Request)
    assert cancel.method == "CANCEL"
    assert cancel.cseq == CSeq(171, "CANCEL")
    assert cancel.to.tag is None
    assert cancel.call_id == "q89i9bbpnl4tbnov0e9c"


# === RFC 4475 ===============================================================================

VALID = [
    pytest.param(WSINV, id="wsinv"),
    pytest.param(INTMETH, id="intmeth"),
    pytest.param(ESC01, id="esc01"),
    pytest.param(ESCNULL, id="escnull"),
    pytest.param(ESC02, id="esc02"),
    pytest.param(LWSDISP, id="lwsdisp"),
    pytest.param(LONGREQ, id="longreq"),
    pytest.param(DBLREQ, id="dblreq"),
    pytest.param(SEMIURI, id="semiuri"),
    pytest.param(TRANSPORTS, id="transports"),
    pytest.param(MPART01, id="mpart01"),
    pytest.param(UNREASON, id="unreason"),
    pytest.param(NOREASON, id="noreason"),
    pytest.param(BADBRANCH, id="badbranch"),
    pytest.param(UNKSCM, id="unkscm"),
    pytest.param(NOVELSC, id="novelsc"),
    pytest.param(UNKSM2, id="unksm2"),
    pytest.param(BEXT01, id="bext01"),
    pytest.param(INVUT, id="invut"),
    pytest.param(REGAUT01, id="regaut01"),
    pytest.param(BCAST, id="bcast"),
    pytest.param(ZEROMF, id="zeromf"),
    pytest.param(CPARAM01, id="cparam01"),
    pytest.param(CPARAM02, id="cparam02"),
    pytest.param(REGESCRT, id="regescrt"),
    pytest.param(SDP01, id="sdp01"),
    pytest.param(INV2543, id="inv2543"),
    pytest.param(LTGT_CONTROL, id="ltgtruri-control"),
]


@pytest.mark.parametrize("data", VALID)
def test_rfc4475_valid_message_parses_and_round_trips(data: bytes) -> None:
    message = parse(data)
    assert parse(bytes(message)) == message
    # every typed value is there (parsed on first use)
    message.from_, message.to, message.vias, message.cseq, message.contacts  # noqa: B018
    message.routes, message.record_routes, message.max_forwards  # noqa: B018
    length = message.headers.get("content-length")
    if length is not None:
        assert int(length) == len(message.body)


def test_wsinv_short_tortuous_invite() -> None:
    m = parse(WSINV)
    assert isinstance(m, Request)
    assert m.uri == SipUri(
        "chair-dnrc.example.com", user="vivekg", params=(("unknownparam", None),)
    )
    assert m.to.uri == SipUri("chair-dnrc.example.com", user="vivekg")
    assert m.to.tag == "1918181833n"
    assert m.to.display_name is None
    assert m.from_.display_name == 'J Rosenberg \\"'
    assert m.from_.uri == SipUri("example.com", user="jdrosen")
    assert m.from_.tag == "98asjd8"
    assert m.max_forwards == 68
    assert m.call_id == "wsinv.ndaksdj@192.0.2.1"
    assert m.cseq == CSeq(9, "INVITE")
    assert [(v.transport, v.host, v.branch) for v in m.vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert m.headers.get("Subject") == ""
    assert m.headers.get("newfangledheader") == "newfangled value continued newfangled value"
    assert m.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    (route,) = m.routes
    assert isinstance(route.uri, SipUri)
    assert route.uri.params == (
        ("lr", None),
        ("unknownwith", "value"),
        ("unknown-no-value", None),
    )
    (contact,) = m.contacts
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == (("newparam", "newvalue"), ("secondparam", None), ("q", "0.33"))
    assert m.content_type == "application/sdp"
    assert m.body == SDP_150.replace("\n", "\r\n").encode()


def test_intmeth_wide_range_of_valid_characters() -> None:
    m = parse(INTMETH)
    assert isinstance(m, Request)
    assert m.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert isinstance(m.uri, SipUri)
    assert m.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert m.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert m.uri.host == "example.com"
    assert m.via.branch == "z9hG4bK-.!%66*_+`'~"
    assert m.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert m.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert m.from_.param("fromParam''~+*_!.-%") == '"работающий"'
    assert m.from_.tag == "_token~1'+`*%!-."
    assert m.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert m.cseq == CSeq(139122385, m.method)
    assert m.max_forwards == 255
    assert m.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"
    assert bytes(m).startswith(INTMETH.split(b"\r\n")[0] + b"\r\n")  # the URI written back as is


def test_esc01_valid_escapes() -> None:
    m = parse(ESC01)
    assert isinstance(m, Request)
    assert m.uri == SipUri("example.net", user="sips:user@example.com")
    assert str(m.uri) == "sip:sips%3Auser%40example.com@example.net"
    assert m.to.uri == SipUri("example.com", user="user")
    assert m.from_.uri == SipUri("example.net", user="I have spaces")
    (contact,) = m.contacts
    assert isinstance(contact.uri, SipUri)
    assert contact.uri.user == "caller"
    # URI parameters are kept as written, escapes and all
    assert contact.uri.params == (("%6C%72", None), ("n%61me", "v%61lue%25%34%31"))
    assert m.call_id == "esc01.239409asdfakjkn23onasd0-3234"
    assert m.content_type == "application/sdp"


def test_escnull_escaped_nulls() -> None:
    m = parse(ESCNULL)
    assert isinstance(m.to.uri, SipUri)
    assert m.to.uri.user == "null-\x00-null"
    assert [c.uri.user for c in m.contacts if isinstance(c.uri, SipUri)] == ["\x00", "\x00\x00"]
    assert str(m.contacts[1].uri) == "sip:%00%00@host5.example.com"
    assert m.headers.get("content-length") == "0"


def test_esc02_percent_that_is_not_an_escape() -> None:
    m = parse(ESC02)
    assert isinstance(m, Request)
    assert m.method == "RE%47IST%45R"  # not REGISTER: % is a token character
    assert m.from_.display_name == "%Z%45"
    assert m.via.branch == "z9hG4bK209%fzsnel234"
    assert [str(c.uri) for c in m.contacts] == [
        "sip:alias1@host1.example.com",
        "sip:alias3@host3.example.com",
    ]
    assert m.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"  # another header


def test_lwsdisp_no_space_before_angle_bracket() -> None:
    assert parse(LWSDISP).from_.display_name == "caller"


def test_longreq_long_values() -> None:
    m = parse(LONGREQ)
    assert len(m.vias) == 34
    assert m.vias[0].host == "sip33.example.com"
    assert m.vias[-1].received == "192.0.2.5"
    assert m.vias[-1].branch == f"very{'long' * 50}branchvalue"
    assert m.to.display_name == f"I have a user name of {'extreme' * 10} proportion"
    assert isinstance(m.to.uri, SipUri)
    assert m.to.uri.port == 6000
    assert m.from_.tag == f"12{'982' * 50}424"
    assert m.from_.param(f"unknownValueless{'paramname' * 10}") == ""
    assert m.call_id == f"longreq.one{'really' * 20}longcallid"
    assert len(m.body) == 150


def test_dblreq_extra_octets_are_not_a_second_message() -> None:
    m = parse(DBLREQ)
    assert isinstance(m, Request)
    assert m.method == "REGISTER"
    assert m.body == b""


def test_semiuri_semicolons_in_the_user_part() -> None:
    m = parse_request(SEMIURI)
    assert m.uri == SipUri("example.com", user="user;par=u@example.net")
    assert m.headers.values("Accept") == [
        "application/sdp",
        "application/pkcs7-mime",
        "multipart/mixed",
        "multipart/signed",
        "message/sip",
        "message/sipfrag",
    ]


def test_transports_varied_and_unknown() -> None:
    assert [v.transport for v in parse(TRANSPORTS).vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]
    assert parse(TRANSPORTS).call_id == "transports.kijh4akdnaqjkwendsasfdj"


def test_mpart01_binary_multipart_body() -> None:
    m = parse(MPART01)
    assert m.body == MPART01_BODY
    assert m.content_type == "multipart/mixed"
    assert (m.headers.get("Identity") or "").endswith(
        " IrO0VXwMnC6SAL6KqfHZiHaBLSE3cs8UN6+Kd3hOuvk5ukDhoqp"
    )


def test_unreason_and_noreason() -> None:
    unusual = parse(UNREASON)
    assert isinstance(unusual, Response)
    assert unusual.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"
    empty = parse(NOREASON)
    assert isinstance(empty, Response)
    assert (empty.status, empty.reason) == (100, "")
    assert bytes(empty) == NOREASON


def test_rfc4475_semantic_cases_parse_with_their_values() -> None:
    unkscm = parse(UNKSCM)
    assert isinstance(unkscm, Request)
    assert unkscm.uri == AbsoluteUri("nobodyknowsthisscheme", "totallyopaquecontent")
    novelsc = parse(NOVELSC)
    assert isinstance(novelsc, Request)
    assert novelsc.uri == AbsoluteUri("soap.beep", "//192.0.2.103:3002")
    unksm2 = parse(UNKSM2)
    assert unksm2.to.uri == AbsoluteUri("isbn", "2983792873")
    assert unksm2.from_.uri == AbsoluteUri("http", "//www.example.com")
    assert unksm2.contacts[0].uri == AbsoluteUri("name", "John_Smith")
    assert parse(ZEROMF).max_forwards == 0
    assert [v.host for v in parse(BCAST).vias] == ["192.0.2.198", "255.255.255.255"]
    assert parse(BADBRANCH).via.branch == "z9hG4bK"
    assert parse(BEXT01).headers.values("Require") == [
        "nothingSupportsThis",
        "nothingSupportsThisEither",
    ]
    assert parse(INVUT).content_type == "application/unknownformat"
    assert parse(REGAUT01).headers.get("Authorization") == "NoOneKnowsThisScheme opaque-data=here"
    # §20.10: parameters after an addr-spec belong to the header, inside <> to the URI
    (c1,) = parse(CPARAM01).contacts
    assert c1.params == (("unknownparam", None),)
    assert c1.uri == SipUri("gw1.example.net", user="+19725552222")
    (c2,) = parse(CPARAM02).contacts
    assert c2.params == ()
    assert c2.uri == SipUri(
        "gw1.example.net", user="+19725552222", params=(("unknownparam", None),)
    )
    (escaped_route,) = parse(REGESCRT).contacts
    assert isinstance(escaped_route.uri, SipUri)
    assert escaped_route.uri.headers == (("Route", "%3Csip:sip.example.com%3E"),)
    old = parse(INV2543)
    assert old.via.branch is None
    assert old.from_.tag is None
    assert old.max_forwards is None
    assert old.to.param("user") == "phone"  # a header parameter: the addr-spec has no <>
    assert parse(SDP01).headers.get("Accept") == "text/nobodyknowsthis"


INVALID = [
    pytest.param(BADINV01, 400, "Via", id="badinv01"),
    pytest.param(CLERR, 400, "Content-Length 9999", id="clerr"),
    pytest.param(NCL, 400, "Content-Length", id="ncl"),
    pytest.param(SCALAR02, 400, "CSeq", id="scalar02"),
    pytest.param(SCALARLG, 400, "CSeq", id="scalarlg"),
    pytest.param(QUOTBAL, 400, "To", id="quotbal"),
    pytest.param(LTGTRURI, 400, "URI", id="ltgtruri"),
    pytest.param(LWSRURI, 400, "request line", id="lwsruri"),
    pytest.param(LWSSTART, 400, "request line", id="lwsstart"),
    pytest.param(TRWS, 400, "request line", id="trws"),
    pytest.param(ESCRURI, 400, "headers in the Request-URI", id="escruri"),
    pytest.param(BADASPEC, 400, "To", id="badaspec"),
    pytest.param(BADDN, 400, "From", id="baddn"),
    pytest.param(BADVERS, 505, "SIP/7.0", id="badvers"),
    pytest.param(MISMATCH01, 400, "CSeq method INVITE does not match OPTIONS", id="mismatch01"),
    pytest.param(MISMATCH02, 400, "CSeq method", id="mismatch02"),
    pytest.param(BIGCODE, 400, "status code", id="bigcode"),
    pytest.param(INSUF, 400, "missing Call-ID", id="insuf"),
    pytest.param(MULTI01, 400, "more than one", id="multi01"),
    pytest.param(MCL01, 400, "more than one Content-Length", id="mcl01"),
    pytest.param(REGBADCT, 400, "bad Contact", id="regbadct"),
]


@pytest.mark.parametrize(("data", "status", "says"), INVALID)
def test_rfc4475_invalid_message_is_refused(data: bytes, status: int, says: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(data)
    assert e.value.status == status
    assert says in str(e.value)


def test_rfc4475_scalar02_other_overlarge_values() -> None:
    fixed = SCALAR02.replace(b"36893488147419103232", b"1")
    with pytest.raises(ParseError, match="Max-Forwards 300 is above 255"):
        parse(fixed)
    with pytest.raises(ParseError, match="Expires") as e:
        parse(fixed.replace(b"Max-Forwards: 300", b"Max-Forwards: 70"))
    assert e.value.status == 400
    message = parse(
        fixed.replace(b"Max-Forwards: 300", b"Max-Forwards: 70").replace(
            b"Expires: 1" + b"0" * 100, b"Expires: 3600"
        )
    )
    with pytest.raises(ParseError, match="expires"):  # a parameter above 2**32 - 1: when read
        message.contacts[0].expires  # noqa: B018


# === Malformed input ========================================================================

OK_REQUEST = wire(
    "OPTIONS sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776",
    "Max-Forwards: 70",
    "To: <sip:bob@example.com>",
    "From: Alice <sip:alice@example.com>;tag=1928301774",
    "Call-ID: a84b4c76e66710@pc33.example.com",
    "CSeq: 63104 OPTIONS",
    "Content-Length: 0",
)


def test_ok_request_is_ok() -> None:
    assert parse_request(OK_REQUEST).method == "OPTIONS"


def _swap(old: bytes, new: bytes) -> bytes:
    assert old in OK_REQUEST
    return OK_REQUEST.replace(old, new)


_TAIL = OK_REQUEST.split(b"\r\n", 1)[1]  # the headers and body, without the request line

# Whole inputs that are not a message: (id, bytes, status, what the error says).
NOT_A_MESSAGE = [
    ("empty", b"", 400, "no empty line"),
    ("only-crlfs", b"\r\n\r\n", 400, "no empty line"),
    ("no-blank-line", b"OPTIONS sip:a@b SIP/2.0\r\n", 400, "no empty line"),
    ("not-utf8", b"\xff\xfe\r\n\r\n", 400, "UTF-8"),
    ("cr-in-lf-message", OK_REQUEST.replace(b"\r\n", b"\n").replace(b"70", b"70\r"), 400, "CR"),
    ("status-99", b"SIP/2.0 99 Too Low\r\n" + _TAIL, 400, "status code"),
    ("status-700", b"SIP/2.0 700 Too High\r\n" + _TAIL, 400, "status code"),
    ("status-2000", b"SIP/2.0 2000 OK\r\n" + _TAIL, 400, "status code"),
    ("status-two-sp", b"SIP/2.0  200 OK\r\n" + _TAIL, 400, "status code"),
    ("status-letters", b"SIP/2.0 2OO OK\r\n" + _TAIL, 400, "status code"),
    ("response-3.0", b"SIP/3.0 200 OK\r\n" + _TAIL, 505, "not supported"),
]

# OK_REQUEST with one thing wrong: (id, replaced, replacement, status, what the error says).
# Status 200 marks a control: an odd spelling that is still valid.
BROKEN = [
    ("latin1-header", b"Max-Forwards: 70", b"Max-Forwards: \xe9", 400, "UTF-8"),
    ("bare-lf", b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\n", 400, "bare CR or LF"),
    ("bare-cr", b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r", 400, "bare CR or LF"),
    ("starts-folded", b"Via:", b" Via:", 400, "continuation line before"),
    ("no-colon", b"Max-Forwards: 70", b"Max-Forwards 70", 400, "without a colon"),
    ("bad-name", b"Max-Forwards:", b"Max Forwards:", 400, "bad header name"),
    ("empty-name", b"Max-Forwards:", b":", 400, "bad header name"),
    ("sip-3.0", b"SIP/2.0\r\n", b"SIP/3.0\r\n", 505, "SIP/3.0"),
    ("sip-2.1", b"SIP/2.0\r\n", b"SIP/2.1\r\n", 505, "not supported"),
    ("sip-02.00", b"SIP/2.0\r\n", b"SIP/02.00\r\n", 200, ""),
    ("sip-2", b"SIP/2.0\r\n", b"SIP/2\r\n", 400, "bad SIP version"),
    ("http", b"SIP/2.0\r\n", b"HTTP/1.1\r\n", 400, "bad SIP version"),
    ("huge-version", b"SIP/2.0\r\n", b"SIP/" + b"9" * 5000 + b".0\r\n", 505, "not supported"),
    ("bad-method", b"OPTIONS sip", b"OPT(IONS sip", 400, "bad method"),
    ("star-uri", b"OPTIONS sip:bob@example.com", b"OPTIONS *", 400, "URI"),
    ("space-in-uri", b"@example.com SIP", b"@exa mple.com SIP", 400, "request line"),
    ("tab-in-line", b"OPTIONS sip", b"OPTIONS\tsip", 400, "request line"),
    ("uri-port", b"@example.com SIP", b"@example.com:99999 SIP", 400, "invalid SIP URI"),
    ("uri-port-65535", b"@example.com SIP", b"@example.com:65535 SIP", 200, ""),
    ("bad-escape", b"sip:bob@", b"sip:b%ZZob@", 400, "SIP URI"),
    ("bad-ipv6", b"@example.com SIP", b"@[2001:db8::1::2] SIP", 400, "IPv6"),
    ("empty-sip-uri", b"sip:bob@example.com SIP", b"sip: SIP", 400, "SIP URI"),
    ("no-via", b"Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776\r\n", b"", 400, "missing Via"),
    ("no-to", b"To: <sip:bob@example.com>\r\n", b"", 400, "missing To"),
    ("no-cseq", b"CSeq: 63104 OPTIONS\r\n", b"", 400, "missing CSeq"),
    ("two-max-forwards", b"Max-Forwards: 70", b"Max-Forwards: 70\r\nmax-forwards: 69", 400, "more"),
    ("two-call-ids", b"Max-Forwards:", b"Call-ID: x\r\nMax-Forwards:", 400, "one Call-ID"),
    ("two-call-ids-compact", b"Max-Forwards:", b"i: x\r\nMax-Forwards:", 400, "one Call-ID"),
    ("two-cseqs", b"Max-Forwards:", b"CSeq: 1 OPTIONS\r\nMax-Forwards:", 400, "one CSeq"),
    ("two-froms", b"Max-Forwards:", b"f: <sip:x@y>;tag=2\r\nMax-Forwards:", 400, "one From"),
    ("max-forwards-256", b"Max-Forwards: 70", b"Max-Forwards: 256", 400, "256 is above 255"),
    ("max-forwards-negative", b"Max-Forwards: 70", b"Max-Forwards: -1", 400, "Max-Forwards"),
    ("arabic-digits", b"Max-Forwards: 70", "Max-Forwards: \u0667\u0660".encode(), 400, "Max-"),
    ("empty-call-id", b"Call-ID: a84b4c76e66710@pc33.example.com", b"Call-ID:", 400, "Call-ID"),
    ("space-in-call-id", b"a84b4c76e66710@", b"a84b4c76 e66710@", 400, "Call-ID"),
    ("two-at-in-call-id", b"a84b4c76e66710@", b"a84b@4c76e66710@", 400, "Call-ID"),
    ("cseq-2-31", b"CSeq: 63104", b"CSeq: 2147483648", 400, "out of range"),
    ("cseq-no-method", b"CSeq: 63104 OPTIONS", b"CSeq: 63104", 400, "CSeq"),
    ("cseq-swapped", b"CSeq: 63104 OPTIONS", b"CSeq: OPTIONS 1", 400, "CSeq"),
    ("cseq-method-case", b"CSeq: 63104 OPTIONS", b"CSeq: 63104 options", 400, "CSeq method"),
    ("cseq-folded", b"CSeq: 63104 OPTIONS", b"CSeq: 63104\r\n OPTIONS", 200, ""),
    ("via-no-host", b"UDP pc33.example.com;", b"UDP;", 400, "Via"),
    ("via-no-transport", b"SIP/2.0/UDP pc33", b"SIP/2.0 pc33", 400, "Via"),
    ("via-port", b"pc33.example.com;", b"pc33.example.com:65536;", 400, "bad Via"),
    ("via-empty-branch", b"branch=z9hG4bK776", b"branch=", 400, "empty branch"),
    ("via-bad-rport", b"branch=z9hG4bK776", b"branch=z9hG4bK776;rport=x", 400, "rport"),
    ("via-empty-param", b"branch=z9hG4bK776", b"branch=z9hG4bK776;;", 400, "Via"),
    ("via-space-in-value", b"branch=z9hG4bK776", b"branch=a b", 400, "Via"),
    ("via-bad-ipv6", b"pc33.example.com;", b"[fe80::1::1];", 400, "IPv6"),
    ("via-quoted-comma", b"branch=z9hG4bK776", b'branch=z9hG4bK776;x="a,b;c"', 200, ""),
    ("via-empty-element", b"branch=z9hG4bK776", b"branch=z9hG4bK776, ", 200, ""),
    ("to-no-gt", b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com", 400, "To"),
    ("to-addr-spec-with-headers", b"To: <sip:bob@example.com>", b"To: sip:b@c?x=y", 400, "To"),
    ("to-two-addresses", b"To: <sip:bob@example.com>", b"To: sip:b@c, sip:d@e", 400, "To"),
    ("to-valueless-tag", b"To: <sip:bob@example.com>", b"To: <sip:b@c>;tag", 200, ""),
    ("to-param-no-name", b"To: <sip:bob@example.com>", b"To: <sip:b@c>;=1", 400, "To"),
    ("to-no-scheme", b"To: <sip:bob@example.com>", b"To: <bob>", 400, "To"),
    ("to-open-quote", b"To: <sip:bob@example.com>", b'To: "Bob <sip:b@c>', 400, "To"),
    ("to-spaces-in-brackets", b"To: <sip:bob@example.com>", b"To: < sip:b@c >", 400, "To"),
    ("from-bad-display", b"From: Alice <", b"From: Al;ce <", 400, "From"),
    ("from-port", b"alice@example.com>", b"alice@example.com:123456>", 400, "From"),
    ("short-body", b"Content-Length: 0", b"Content-Length: 1", 400, "Content-Length 1 but only 0"),
    ("hex-length", b"Content-Length: 0", b"Content-Length: 0x10", 400, "Content-Length"),
    ("huge-length", b"Content-Length: 0", b"Content-Length: " + b"9" * 11, 400, "Content-Length"),
    ("two-lengths", b"Content-Length: 0", b"Content-Length: 0\r\nl: 0", 400, "one Content-Length"),
    ("empty-contact", b"Content-Length: 0", b"Contact:\r\nContent-Length: 0", 200, ""),
    ("contact-star", b"Content-Length: 0", b"Contact: *\r\nContent-Length: 0", 200, ""),
    ("contact-star-and-more", b"Content-Length: 0", b"m: *, <sip:a@b>\r\nl: 0", 400, "Contact"),
    ("contact-two-stars", b"Content-Length: 0", b"m: *\r\nm: *\r\nl: 0", 400, "Contact"),
    ("contact-addr-spec-list", b"Content-Length: 0", b"m: sip:a@b;q=1, sip:c@d\r\nl: 0", 200, ""),
    ("contact-bad-second", b"Content-Length: 0", b"m: <sip:a@b>, <sip:c@d\r\nl: 0", 400, "Contact"),
    ("contact-bad-ipv6", b"Content-Length: 0", b"m: <sip:a@[::1::2]>\r\nl: 0", 400, "IPv6"),
    ("route-bad", b"Content-Length: 0", b"Route: <sip:p;lr\r\nl: 0", 400, "bad Route"),
    ("record-route-bad", b"Content-Length: 0", b"Record-Route: p;lr\r\nl: 0", 400, "Record-Route"),
    (
        "from-bad-ipv6",
        b"From: Alice <sip:alice@example.com>",
        b"From: <sip:a@[1::2::3]>",
        400,
        "IPv6",
    ),
    ("expires-bad", b"Content-Length: 0", b"Expires: soon\r\nContent-Length: 0", 400, "Expires"),
]


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [case[1:] for case in NOT_A_MESSAGE],
    ids=[c[0] for c in NOT_A_MESSAGE],
)
def test_not_a_message_raises_parse_error(data: bytes, status: int, says: str) -> None:
    with pytest.raises(ParseError) as e:
        parse(data)
    assert e.value.status == status
    assert says in str(e.value)


@pytest.mark.parametrize(
    ("old", "new", "status", "says"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_one_thing_wrong_raises_parse_error_with_status(
    old: bytes, new: bytes, status: int, says: str
) -> None:
    data = _swap(old, new)
    if status == 200:  # a control: valid after all
        assert parse(parse(data).__bytes__()) == parse(data)
        return
    with pytest.raises(ParseError) as e:
        parse(data)
    assert e.value.status == status
    assert says in str(e.value)


def test_response_without_reason_or_version_variants() -> None:
    tail = OK_REQUEST.split(b"\r\n", 1)[1]
    assert parse_response(b"SIP/2.0 200\r\n" + tail).reason == ""
    assert parse_response(b"sip/2.0 200 OK\r\n" + tail).reason == "OK"
    assert parse_response(b"SIP/2.0 200 OK  \r\n" + tail).reason == "OK  "  # kept as written
    assert parse_response(b"SIP/2.0 699 x\r\n" + tail).status == 699


# === Limits =================================================================================


def test_message_too_large_is_513() -> None:
    size = message_module.MAX_MESSAGE_SIZE
    with pytest.raises(ParseError) as e:
        parse(OK_REQUEST + b"x" * (size - len(OK_REQUEST) + 1))
    assert e.value.status == 513
    assert str(size) in str(e.value)
    assert parse_request(OK_REQUEST + b"x" * (size - len(OK_REQUEST))).method == "OPTIONS"


def test_body_too_large_is_413() -> None:
    body = b"x" * (message_module.MAX_BODY_SIZE + 1)
    data = _swap(b"Content-Length: 0", f"Content-Length: {len(body)}".encode()) + body
    with pytest.raises(ParseError) as e:
        parse(data)
    assert e.value.status == 413
    fits = body[:-1]
    data = _swap(b"Content-Length: 0", f"Content-Length: {len(fits)}".encode()) + fits
    assert parse(data).body == fits


def test_too_many_header_lines_is_513() -> None:
    room = message_module.MAX_HEADERS - OK_REQUEST.count(b"\r\n") + 2
    extra = b"".join(b"X-H: %d\r\n" % i for i in range(room))
    assert parse_request(OK_REQUEST[:-2] + extra + b"\r\n").method == "OPTIONS"
    with pytest.raises(ParseError) as e:
        parse(OK_REQUEST[:-2] + extra + b"X-H: last\r\n\r\n")
    assert e.value.status == 513
    assert "header lines" in str(e.value)


def test_too_long_header_line_is_513() -> None:
    limit = message_module.MAX_LINE_LENGTH
    fits = b"X-Long: " + b"a" * (limit - 8) + b"\r\n"
    assert parse(OK_REQUEST[:-2] + fits + b"\r\n").headers.get("x-long") == "a" * (limit - 8)
    with pytest.raises(ParseError) as e:
        parse(OK_REQUEST[:-2] + b"X-Long: " + b"a" * (limit - 7) + b"\r\n\r\n")
    assert e.value.status == 513
    assert "longer than" in str(e.value)


def test_folding_makes_long_values_from_short_lines() -> None:
    folded = b"X-Long: start\r\n" + b"".join(b" %s\r\n" % (b"b" * 4000) for _ in range(10))
    message = parse(OK_REQUEST[:-2] + folded + b"\r\n")
    assert len(message.headers.get("x-long") or "") == len("start") + 10 * 4001


# === Building and writing messages ==========================================================


def test_bytes_of_built_messages() -> None:
    request = Request("BYE", SipUri("example.com", user="bob"), Headers([("Call-ID", "x")]))
    assert bytes(request) == b"BYE sip:bob@example.com SIP/2.0\r\nCall-ID: x\r\n\r\n"
    response = Response(486, "Busy Here")
    assert bytes(response) == b"SIP/2.0 486 Busy Here\r\n\r\n"
    assert Request("BYE", SipUri("h")).headers == Headers()


@pytest.mark.parametrize(
    "message",
    [
        Request("IN VITE", SipUri("example.com")),
        Request("INVITE\r\nX: y", SipUri("example.com")),
        Request("INVITE", SipUri("exa mple.com")),
        Request("INVITE", AbsoluteUri("tel", "+1\r\nX: y")),
        Response(200, "OK\r\nX-Injected: yes"),
        Response(99, "Low"),
        Response(700, "High"),
    ],
    ids=repr,
)
def test_a_message_that_cannot_be_written_is_refused(message: Request | Response) -> None:
    with pytest.raises(ValueError, match="cannot write"):
        bytes(message)


def test_replace_and_with_headers() -> None:
    request = parse(OK_REQUEST)
    assert isinstance(request, Request)
    edited = request.headers.mutable()
    edited.set("Max-Forwards", "69")
    edited.prepend("Via", "SIP/2.0/WSS proxy.example.com;branch=z9hG4bKproxy")
    forwarded = request.with_headers(edited)
    assert forwarded.max_forwards == 69
    assert [v.host for v in forwarded.vias] == ["proxy.example.com", "pc33.example.com"]
    assert parse(bytes(forwarded)) == forwarded
    assert request.max_forwards == 70  # the original is untouched
    retargeted = request.replace(uri=SipUri("example.net", user="carol"))
    assert isinstance(retargeted, Request)
    assert bytes(retargeted).startswith(b"OPTIONS sip:carol@example.net SIP/2.0\r\n")
    response = Response(180, "Ringing", request.headers)
    assert response.replace(status=183).status == 183
    assert response.with_headers(MutableHeaders([("Call-ID", "y")])).call_id == "y"


def test_accessors_of_a_built_message_raise_parse_error() -> None:
    empty = Request("OPTIONS", SipUri("h"))
    for name in ("call_id", "cseq", "from_", "to", "vias", "via"):
        with pytest.raises(ParseError):
            getattr(empty, name)
    assert empty.max_forwards is None
    assert empty.expires is None
    assert empty.content_type is None
    assert empty.contacts == ()
    assert empty.routes == ()
    assert empty.record_routes == ()
    assert empty.header("x") is None


def test_content_type_is_lowercase_without_parameters() -> None:
    message = parse(_swap(b"Content-Length: 0", b"c: Application/SDP ; charset=utf-8\r\nl: 0"))
    assert message.content_type == "application/sdp"
    assert message.header("Content-Type") == "Application/SDP ; charset=utf-8"


def test_typed_values_are_parsed_once() -> None:
    message = parse(OK_REQUEST)
    assert message.from_ is message.from_
    assert message.vias is message.vias
    assert message.cseq is message.cseq


def test_parse_error_pickles_with_its_status() -> None:
    error = pickle.loads(pickle.dumps(ParseError("bad thing", 505)))
    assert isinstance(error, ParseError)
    assert (str(error), error.status) == ("bad thing", 505)
