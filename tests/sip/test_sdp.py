"""Tests for webphone.sip.sdp, mostly on SDPs captured from Chromium, aiortc, JsSIP and SIPp."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from webphone.sip.errors import ParseError
from webphone.sip.sdp import (
    DIRECTIONS,
    MAX_SDP_SIZE,
    Codec,
    Direction,
    Line,
    MediaDescription,
    SessionDescription,
    answer_direction,
    parse_sdp,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sip"


def fixture_sdp(name: str) -> bytes:
    """A fixture's SDP: a whole `.sdp` file, or the body of a `.sip` message."""
    (path,) = FIXTURES.glob(f"{name}-*")
    data = path.read_bytes()
    return data if path.suffix == ".sdp" else data.split(b"\r\n\r\n", 1)[1]


CHROMIUM_OFFER = fixture_sdp("67")
CHROMIUM_ANSWER = fixture_sdp("68")
AIORTC_OFFER = fixture_sdp("69")
HOLD_OFFER = fixture_sdp("20")  # JsSIP's re-INVITE for hold: a=sendonly
HOLD_ANSWER = fixture_sdp("24")  # bob's 200 OK to it: a=recvonly
UNHOLD_OFFER = fixture_sdp("28")
UNHOLD_ANSWER = fixture_sdp("32")
SIPP_OFFER = fixture_sdp("65")  # plain RTP/AVP, c= at session level, no direction attribute

ALL_CAPTURES = {
    "chromium-offer": CHROMIUM_OFFER,
    "chromium-answer": CHROMIUM_ANSWER,
    "aiortc-offer": AIORTC_OFFER,
    "jssip-hold-offer": HOLD_OFFER,
    "jssip-hold-answer": HOLD_ANSWER,
    "jssip-unhold-offer": UNHOLD_OFFER,
    "jssip-unhold-answer": UNHOLD_ANSWER,
    "sipp-offer": SIPP_OFFER,
}
CAPTURES = pytest.mark.parametrize("data", ALL_CAPTURES.values(), ids=ALL_CAPTURES.keys())

# A small hand-written SDP with what the captures lack: a session-level direction, two media
# sections (one with its own direction and c=), a static payload type without a=rtpmap, and a
# data channel section.
MULTI = (
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "a=inactive\r\n"
    "m=audio 4000 RTP/AVP 8 0 101\r\n"
    "a=rtpmap:101 TELEPHONE-EVENT/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "m=video 4002 RTP/AVP 96\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=sendrecv\r\n"
    "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
)


# --- round trips ---------------------------------------------------------------------------


@CAPTURES
def test_captures_round_trip_byte_for_byte(data: bytes) -> None:
    sdp = parse_sdp(data)
    assert bytes(sdp) == data
    assert str(sdp) == data.decode()
    assert str(parse_sdp(data.decode())) == data.decode()
    assert sdp.eol == "\r\n"
    assert parse_sdp(bytes(sdp)) == sdp


@CAPTURES
def test_lf_only_input_round_trips_with_lf(data: bytes) -> None:
    lf = data.replace(b"\r\n", b"\n")
    sdp = parse_sdp(lf)
    assert sdp.eol == "\n"
    assert bytes(sdp) == lf
    assert sdp.lines == parse_sdp(data).lines
    assert sdp.media == parse_sdp(data).media


def test_missing_final_line_ending_and_trailing_blank_lines_are_tolerated() -> None:
    # RFC 8866 §5 ends every line with CRLF; these are repaired when written back.
    assert bytes(parse_sdp(SIPP_OFFER.rstrip(b"\r\n"))) == SIPP_OFFER
    assert bytes(parse_sdp(SIPP_OFFER + b"\r\n\r\n")) == SIPP_OFFER
    assert bytes(parse_sdp(b"v=0")) == b"v=0\r\n"


def test_the_offer_in_the_invite_is_the_sdp_file() -> None:
    assert fixture_sdp("07") == CHROMIUM_OFFER
    assert fixture_sdp("16") == CHROMIUM_ANSWER


# --- structure and accessors ---------------------------------------------------------------


def test_chromium_offer_structure() -> None:
    sdp = parse_sdp(CHROMIUM_OFFER)
    assert sdp.lines[:4] == (
        Line("v", "0"),
        Line("o", "- 4435666084710667115 2 IN IP4 127.0.0.1"),
        Line("s", "-"),
        Line("t", "0 0"),
    )
    assert len(sdp.lines) == 7
    (audio,) = sdp.media
    assert audio.lines[0] == Line("m", "audio 47629 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126")
    assert (audio.kind, audio.port, audio.port_count, audio.proto) == (
        "audio",
        47629,
        None,
        "UDP/TLS/RTP/SAVPF",
    )
    assert audio.formats == ("111", "63", "9", "0", "8", "13", "110", "126")
    assert not audio.rejected
    assert len(audio.lines) == 33


def test_attributes_keep_values_as_written() -> None:
    sdp = parse_sdp(CHROMIUM_OFFER)
    audio = sdp.media[0]
    assert sdp.attributes("group") == ["BUNDLE 0"]
    assert sdp.attributes("extmap-allow-mixed") == [None]
    # The space after the colon is Chromium's, kept as sent.
    assert sdp.attributes("msid-semantic") == [" WMS 98b23b2c-a5f7-4727-89d0-4cc6a18b07e1"]
    assert audio.attributes("rtcp-mux") == [None]
    assert audio.attributes("mid") == ["0"]
    assert audio.attributes("setup") == ["actpass"]
    assert len(audio.attributes("candidate")) == 2
    assert audio.attributes("ssrc")[0] == "3127811933 cname:6qS02Bm5gTnRjLMA"
    assert audio.attributes("no-such-attribute") == []
    assert sdp.attributes("mid") == []  # session level only sees its own lines
    fingerprints = parse_sdp(AIORTC_OFFER).media[0].attributes("fingerprint")
    assert [str(value).split()[0] for value in fingerprints] == ["sha-256", "sha-384", "sha-512"]


def test_connection_address_media_level_overrides_session_level() -> None:
    chromium = parse_sdp(CHROMIUM_OFFER)
    assert chromium.connection_address is None
    assert chromium.media[0].connection_address == "127.0.0.1"
    assert chromium.effective_connection_address() == "127.0.0.1"
    sipp = parse_sdp(SIPP_OFFER)
    assert sipp.connection_address == "127.0.0.1"
    assert sipp.media[0].connection_address is None
    assert sipp.effective_connection_address(0) == "127.0.0.1"
    multi = parse_sdp(MULTI)
    assert multi.effective_connection_address(0) == "192.0.2.1"
    assert multi.effective_connection_address(1) == "198.51.100.7"
    no_c = parse_sdp("v=0\r\nm=audio 1 RTP/AVP 0\r\n")
    assert no_c.effective_connection_address() is None


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("IN IP4 224.2.1.1/127/3", "224.2.1.1"),  # multicast with TTL and count (§5.7)
        ("IN IP6 2001:db8::1", "2001:db8::1"),
        ("IN IP4 host.example.com", "host.example.com"),
    ],
)
def test_connection_address_forms(value: str, address: str) -> None:
    assert parse_sdp(f"v=0\r\nc={value}\r\n").connection_address == address


def test_port_zero_is_rejected_and_port_count_is_read() -> None:
    multi = parse_sdp(MULTI)
    assert [m.rejected for m in multi.media] == [False, False, True]
    assert [m.kind for m in multi.media] == ["audio", "video", "application"]
    counted = parse_sdp("v=0\r\nm=video 49170/2 RTP/AVP 31\r\n").media[0]
    assert (counted.port, counted.port_count) == (49170, 2)


# --- codecs and DTMF -----------------------------------------------------------------------


def test_chromium_codecs_in_preference_order() -> None:
    codecs = parse_sdp(CHROMIUM_OFFER).media[0].codecs
    assert [(c.payload_type, c.name, c.clock_rate, c.channels) for c in codecs] == [
        (111, "opus", 48000, 2),
        (63, "red", 48000, 2),
        (9, "G722", 8000, 1),
        (0, "PCMU", 8000, 1),
        (8, "PCMA", 8000, 1),
        (13, "CN", 8000, 1),
        (110, "telephone-event", 48000, 1),
        (126, "telephone-event", 8000, 1),
    ]
    assert codecs[0].parameters == "minptime=10;useinbandfec=1"
    assert codecs[1].parameters == "111/111"
    assert codecs[2].parameters is None


def test_sipp_codecs() -> None:
    assert parse_sdp(SIPP_OFFER).media[0].codecs == (Codec(0, "PCMU", 8000),)


def test_static_payload_types_without_rtpmap_and_non_rtp_sections() -> None:
    audio, video, data = parse_sdp(MULTI).media
    assert audio.codecs == (
        Codec(8, "PCMA", 8000),
        Codec(0, "PCMU", 8000),
        Codec(101, "TELEPHONE-EVENT", 8000, parameters="0-16"),
    )
    assert video.codecs == (Codec(96, "VP8", 90000),)
    assert data.codecs == ()
    # A dynamic payload type with no a=rtpmap cannot be named, so it is left out.
    assert parse_sdp("v=0\r\nm=audio 1 RTP/AVP 96 0\r\n").media[0].codecs == (
        Codec(0, "PCMU", 8000),
    )


def test_telephone_event_detection() -> None:
    chromium = parse_sdp(CHROMIUM_OFFER).media[0]
    assert chromium.telephone_event() == Codec(110, "telephone-event", 48000)
    assert chromium.telephone_event(clock_rate=8000) == Codec(126, "telephone-event", 8000)
    assert chromium.telephone_event(clock_rate=16000) is None
    assert parse_sdp(AIORTC_OFFER).media[0].telephone_event() is None  # aiortc offers none
    assert parse_sdp(SIPP_OFFER).media[0].telephone_event() is None
    # Encoding names are case-insensitive (RFC 4855 §3).
    multi_audio = parse_sdp(MULTI).media[0]
    assert multi_audio.telephone_event(8000) == Codec(101, "TELEPHONE-EVENT", 8000, 1, "0-16")


# --- direction, hold and the offer/answer rule ---------------------------------------------


@pytest.mark.parametrize(
    ("data", "own", "effective"),
    [
        (CHROMIUM_OFFER, "sendrecv", "sendrecv"),
        (CHROMIUM_ANSWER, "sendrecv", "sendrecv"),
        (AIORTC_OFFER, "sendrecv", "sendrecv"),
        (HOLD_OFFER, "sendonly", "sendonly"),
        (HOLD_ANSWER, "recvonly", "recvonly"),
        (UNHOLD_OFFER, "sendrecv", "sendrecv"),
        (UNHOLD_ANSWER, "sendrecv", "sendrecv"),
        (SIPP_OFFER, None, "sendrecv"),  # absent means sendrecv (RFC 8866 §6.7)
    ],
)
def test_direction_of_captures(data: bytes, own: Direction | None, effective: Direction) -> None:
    sdp = parse_sdp(data)
    assert sdp.direction is None
    assert sdp.media[0].direction == own
    assert sdp.effective_direction() == effective


def test_media_level_direction_overrides_session_level() -> None:
    multi = parse_sdp(MULTI)
    assert multi.direction == "inactive"
    assert [m.direction for m in multi.media] == [None, "sendrecv", None]
    assert [multi.effective_direction(i) for i in range(3)] == ["inactive", "sendrecv", "inactive"]


def test_hold_then_unhold_gives_back_the_original_bytes() -> None:
    original = parse_sdp(CHROMIUM_OFFER)
    held = original.with_direction("sendonly")
    assert bytes(held) == CHROMIUM_OFFER.replace(b"a=sendrecv\r\n", b"a=sendonly\r\n")
    assert held.effective_direction() == "sendonly"
    assert bytes(held.with_direction("sendrecv")) == CHROMIUM_OFFER
    assert held.with_direction("sendrecv") == original


def test_unholding_the_captured_hold_offer_changes_one_line() -> None:
    unheld = parse_sdp(HOLD_OFFER).with_direction("sendrecv")
    assert bytes(unheld) == HOLD_OFFER.replace(b"a=sendonly\r\n", b"a=sendrecv\r\n")


@pytest.mark.parametrize("data", [CHROMIUM_OFFER, AIORTC_OFFER, UNHOLD_OFFER])
def test_with_direction_changes_only_the_direction_line(data: bytes) -> None:
    for direction in DIRECTIONS:
        changed = bytes(parse_sdp(data).with_direction(direction))
        assert changed == data.replace(b"a=sendrecv\r\n", f"a={direction}\r\n".encode())


def test_with_direction_appends_the_attribute_when_there_was_none() -> None:
    held = parse_sdp(SIPP_OFFER).with_direction("inactive")
    assert bytes(held) == SIPP_OFFER + b"a=inactive\r\n"
    unheld = held.with_direction("sendrecv")
    # The explicit a=sendrecv stays: same meaning as the original, one line more.
    assert bytes(unheld) == SIPP_OFFER + b"a=sendrecv\r\n"
    assert unheld.effective_direction() == parse_sdp(SIPP_OFFER).effective_direction()


def test_with_direction_keeps_lf_line_ends() -> None:
    lf = CHROMIUM_OFFER.replace(b"\r\n", b"\n")
    assert bytes(parse_sdp(lf).with_direction("recvonly")) == lf.replace(
        b"a=sendrecv\n", b"a=recvonly\n"
    )


def test_with_direction_on_every_section_drops_the_session_level_attribute() -> None:
    held = parse_sdp(MULTI).with_direction("sendonly")
    assert held.direction is None
    assert [m.direction for m in held.media] == ["sendonly"] * 3
    assert str(held) == (
        MULTI.replace("a=inactive\r\n", "")
        .replace("a=sendrecv\r\n", "a=sendonly\r\n")
        .replace("a=fmtp:101 0-16\r\n", "a=fmtp:101 0-16\r\na=sendonly\r\n")
        + "a=sendonly\r\n"
    )


def test_with_direction_on_one_section_keeps_the_session_level_attribute() -> None:
    multi = parse_sdp(MULTI)
    changed = multi.with_direction("recvonly", index=0)
    assert changed.direction == "inactive"
    assert [changed.effective_direction(i) for i in range(3)] == [
        "recvonly",
        "sendrecv",
        "inactive",
    ]
    assert changed.media[1:] == multi.media[1:]
    assert multi.with_direction("sendonly", index=-2).media[1].direction == "sendonly"
    with pytest.raises(IndexError):
        multi.with_direction("sendonly", index=3)


def test_with_direction_without_media_sets_the_session_level_attribute() -> None:
    sdp = parse_sdp("v=0\r\ns=-\r\n").with_direction("inactive")
    assert str(sdp) == "v=0\r\ns=-\r\na=inactive\r\n"
    assert str(sdp.with_direction("sendrecv")) == "v=0\r\ns=-\r\na=sendrecv\r\n"


def test_with_direction_refuses_a_non_direction() -> None:
    sdp = parse_sdp(CHROMIUM_OFFER)
    with pytest.raises(ValueError, match="not an SDP direction"):
        sdp.with_direction("hold")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an SDP direction"):
        sdp.media[0].with_direction("sendrecv ")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("offered", "answer"),
    [
        ("sendonly", "recvonly"),
        ("recvonly", "sendonly"),
        ("sendrecv", "sendrecv"),
        ("inactive", "inactive"),
    ],
)
def test_answer_direction_rfc3264_section_6_1(offered: Direction, answer: Direction) -> None:
    assert answer_direction(offered) == answer


@pytest.mark.parametrize(
    ("offered", "local", "answer"),
    [
        ("sendrecv", "sendonly", "sendonly"),  # we hold while the offer does not
        ("sendrecv", "inactive", "inactive"),
        ("sendonly", "sendonly", "inactive"),  # both hold: nobody receives
        ("recvonly", "recvonly", "inactive"),
        ("sendonly", "recvonly", "recvonly"),
    ],
)
def test_answer_direction_with_a_local_wish(
    offered: Direction, local: Direction, answer: Direction
) -> None:
    assert answer_direction(offered, local) == answer


def test_the_captured_hold_answer_follows_the_rule() -> None:
    offered = parse_sdp(HOLD_OFFER).effective_direction()
    assert answer_direction(offered) == parse_sdp(HOLD_ANSWER).effective_direction()
    offered = parse_sdp(UNHOLD_OFFER).effective_direction()
    assert answer_direction(offered) == parse_sdp(UNHOLD_ANSWER).effective_direction()


@pytest.mark.parametrize(
    ("text", "held"),
    [
        (HOLD_OFFER.decode(), True),  # sendonly
        (HOLD_ANSWER.decode(), False),  # recvonly: the answerer is not holding anyone
        (CHROMIUM_OFFER.decode(), False),
        (SIPP_OFFER.decode(), False),
        (MULTI, False),  # the video section is sendrecv
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\n", True),
        ("v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 1 RTP/AVP 0\r\n", True),  # RFC 2543 style
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=sendrecv\r\n", True),
        ("v=0\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n", True),
        ("v=0\r\nm=audio 0 RTP/AVP 0\r\na=sendonly\r\n", False),  # only a rejected stream
        ("v=0\r\ns=-\r\n", False),
    ],
)
def test_is_hold(text: str, held: bool) -> None:
    assert parse_sdp(text).is_hold() is held


def test_is_hold_of_one_section() -> None:
    multi = parse_sdp(MULTI)
    assert [multi.is_hold(i) for i in range(3)] == [True, False, False]


# --- malformed input -----------------------------------------------------------------------

BAD = [
    # (input, line number, words the message must contain)
    ("", 1, "must start with v=0"),
    ("\r\n", 1, "must start with v=0"),
    ("v=1\r\ns=-\r\n", 1, "must start with v=0"),
    ("o=- 1 1 IN IP4 x\r\nv=0\r\n", 1, "must start with v=0"),
    (" v=0\r\n", 1, "must start with v=0"),
    ("v=0\r\ns = -\r\n", 2, "not a '<letter>=<value>' line"),
    ("v=0\r\n=-\r\n", 2, "not a '<letter>=<value>' line"),
    ("v=0\r\n1=-\r\n", 2, "not a '<letter>=<value>' line"),
    ("v=0\r\nß=-\r\n", 2, "not a '<letter>=<value>' line"),
    ("v=0\r\ns\r\n", 2, "not a '<letter>=<value>' line"),
    ("v=0\r\n\r\ns=-\r\n", 2, "empty line"),
    ("v=0\r\ns=a\rb\r\n", 2, "stray CR"),
    ("v=0\r\ns=-\nt=0 0\r\n", 2, "stray CR, LF"),
    ("v=0\ns=-\r\nt=0 0\n", 2, "stray CR"),
    ("v=0\r\ns=\x00\r\n", 2, "NUL"),
    ("v=0\r\nm=audio\r\n", 2, "m= line is not"),
    ("v=0\r\nm=audio 5000 RTP/AVP\r\n", 2, "m= line is not"),
    ("v=0\r\nm=audio five RTP/AVP 0\r\n", 2, "m= line is not"),
    ("v=0\r\nm=audio -1 RTP/AVP 0\r\n", 2, "m= line is not"),
    ("v=0\r\nm=audio 5000/ RTP/AVP 0\r\n", 2, "m= line is not"),
    ("v=0\r\nm=audio 5000 RTP/AVP 0 8 ;\r\n", 2, "m= line is not"),  # ";" is not a token
    (
        "v=0\r\nm=audio \uff15\uff10\uff10\uff10 RTP/AVP 0\r\n",
        2,
        "m= line is not",
    ),  # fullwidth digits
    ("v=0\r\nm=audio 70000 RTP/AVP 0\r\n", 2, "port 70000 is out of range"),
    ("v=0\r\nc=IN IP4\r\n", 2, "c= line is not"),
    ("v=0\r\nc=\r\n", 2, "c= line is not"),
    ("v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 1.2.3.4 extra\r\n", 3, "c= line is not"),
    ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0\r\n", 3, "a=rtpmap is not"),
    ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap\r\n", 3, "a=rtpmap is not"),
    ("v=0\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/48k\r\n", 3, "a=rtpmap is not"),
    ("v=0\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/48000/two\r\n", 3, "a=rtpmap is not"),
    ("v=0\r\nm=audio 1 RTP/AVP 200\r\na=rtpmap:200 x/8000\r\n", 3, "payload type 200"),
    ("v=0\r\na=sendonly\r\na=recvonly\r\n", 3, "second direction attribute"),
    ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\na=sendonly\r\n", 4, "second direction"),
]


@pytest.mark.parametrize(("text", "number", "words"), BAD)
def test_malformed_sdp_raises_parse_error_naming_the_line(
    text: str, number: int, words: str
) -> None:
    for data in (text, text.encode()):
        with pytest.raises(ParseError) as info:
            parse_sdp(data)
        assert info.value.status == 400
        assert str(info.value).startswith(f"SDP line {number}: ")
        assert words in str(info.value)


def test_error_message_quotes_the_line() -> None:
    with pytest.raises(ParseError) as info:
        parse_sdp("v=0\r\nm=audio 5000 RTP/AVP\r\n")
    assert str(info.value) == (
        "SDP line 2: m= line is not '<media> <port>[/<count>] <proto> <fmt> ...': "
        "'m=audio 5000 RTP/AVP'"
    )
    assert pickle.loads(pickle.dumps(info.value)).status == 400


def test_direction_attributes_at_different_levels_are_fine() -> None:
    sdp = parse_sdp("v=0\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\na=recvonly\r\n")
    assert (sdp.direction, sdp.media[0].direction) == ("sendonly", "recvonly")


def test_too_large_is_413() -> None:
    big = "v=0\r\n" + "a=x\r\n" * (MAX_SDP_SIZE // 5)
    with pytest.raises(ParseError, match="more than 65536") as info:
        parse_sdp(big)
    assert info.value.status == 413
    just_fits = "v=0\r\n" + "a=" + "x" * (MAX_SDP_SIZE - 9) + "\r\n"
    assert bytes(parse_sdp(just_fits)) == just_fits.encode()


def test_text_that_is_not_utf8() -> None:
    with pytest.raises(ParseError, match=r"not valid UTF-8 \(byte 7\)"):
        parse_sdp(b"v=0\r\ns=\xff\xfe\r\n")
    with pytest.raises(ParseError, match="UTF-8 cannot encode"):
        parse_sdp("v=0\r\ns=\ud800\r\n")
    assert parse_sdp("v=0\r\ns=Grüße ☎\r\n").lines[1] == Line("s", "Grüße ☎")


def test_media_description_validates_itself() -> None:
    with pytest.raises(ParseError, match="must start with an m= line"):
        MediaDescription((Line("a", "sendrecv"),))
    with pytest.raises(ParseError, match="must start with an m= line"):
        MediaDescription(())
    with pytest.raises(ParseError, match="m= line is not"):
        MediaDescription((Line("m", "audio"),))
    built = SessionDescription((Line("v", "0"),), (MediaDescription((Line("m", "audio 9 x 0"),)),))
    assert str(built) == "v=0\r\nm=audio 9 x 0\r\n"
    assert built.media[0].proto == "x"


# --- properties ------------------------------------------------------------------------------


def parses_or_raises_parse_error(data: str | bytes) -> None:
    try:
        sdp = parse_sdp(data)
    except ParseError as exc:
        assert exc.status in (400, 413)
        return
    # Whatever is accepted is written back in a form that parses to the same value.
    assert parse_sdp(bytes(sdp)) == sdp
    assert parse_sdp(str(sdp)) == sdp


@given(st.binary(max_size=400))
@example(b"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
@example(b"v=0\r\n\x85")
def test_random_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    parses_or_raises_parse_error(data)
    parses_or_raises_parse_error(b"v=0\r\n" + data)


@given(st.text(max_size=300))
@example("v=0\u2028s=-")
def test_random_text_parses_or_raises_parse_error(text: str) -> None:
    parses_or_raises_parse_error(text)
    parses_or_raises_parse_error("v=0\n" + text)
    parses_or_raises_parse_error("v=0\r\n" + text)


@given(
    st.sampled_from(list(ALL_CAPTURES.values())),
    st.integers(min_value=0, max_value=2000),
    st.binary(max_size=8),
    st.integers(min_value=0, max_value=8),
)
def test_damaged_captures_parse_or_raise_parse_error(
    data: bytes, at: int, insert: bytes, cut: int
) -> None:
    at %= len(data)
    parses_or_raises_parse_error(data[:at])
    parses_or_raises_parse_error(data[:at] + insert + data[at + cut :])


# Generated well-formed SDPs: every kind of line the parser looks into, and free text elsewhere.
TOKEN = st.text("abcXYZ019!#$%&'*+-.^_`{|}~", min_size=1, max_size=8)
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=20)
OTHER_LINE = st.builds(Line, st.sampled_from("osiuepbtrzkA"), TEXT)
ATTRIBUTE = st.builds(Line, st.just("a"), TEXT).filter(
    lambda line: line.value not in DIRECTIONS and not line.value.startswith("rtpmap")
)
CONNECTION = st.builds(
    lambda net, addr, ttl: Line("c", f"{net} {addr}{ttl}"),
    st.sampled_from(["IN IP4", "IN IP6", "X Y"]),
    st.text("0123456789abcdef.:-", min_size=1, max_size=15),
    st.sampled_from(["", "/127", "/127/2"]),
)
RTPMAP = st.builds(
    lambda pt, name, rate, ch: Line("a", f"rtpmap:{pt} {name}/{rate}{ch}"),
    st.integers(0, 127),
    TOKEN,
    st.integers(1, 10**9),
    st.sampled_from(["", "/1", "/2"]),
)
BODY_LINES = st.lists(st.one_of(OTHER_LINE, ATTRIBUTE, CONNECTION, RTPMAP), max_size=6)
DIRECTION = st.none() | st.sampled_from(DIRECTIONS)


@st.composite
def section(draw: st.DrawFn, first: Line) -> list[Line]:
    lines = draw(BODY_LINES)
    direction = draw(DIRECTION)
    if direction is not None:
        lines.insert(draw(st.integers(0, len(lines))), Line("a", direction))
    return [first, *lines]


MEDIA_LINE = st.builds(
    lambda kind, port, count, proto, formats: Line(
        "m", f"{kind} {port}{count} {proto} {' '.join(formats)}"
    ),
    TOKEN,
    st.integers(0, 65535),
    st.sampled_from(["", "/2"]),
    st.sampled_from(["RTP/AVP", "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", "x"]),
    st.lists(TOKEN | st.integers(0, 127).map(str), min_size=1, max_size=5),
)


@st.composite
def sdp_lines(draw: st.DrawFn) -> list[list[Line]]:
    """The session section (from v=0), then each media section."""
    sections = [draw(section(Line("v", "0")))]
    for media_line in draw(st.lists(MEDIA_LINE, max_size=3)):
        sections.append(draw(section(media_line)))
    return sections


@given(sdp_lines(), st.sampled_from(["\r\n", "\n"]))
def test_generated_sdps_round_trip(sections: list[list[Line]], eol: str) -> None:
    text = "".join(f"{t}={v}{eol}" for lines in sections for t, v in lines)
    sdp = parse_sdp(text)
    assert str(sdp) == text
    assert bytes(parse_sdp(text.encode())) == text.encode()
    assert sdp.lines == tuple(sections[0])
    assert [m.lines for m in sdp.media] == [tuple(lines) for lines in sections[1:]]
    for media in sdp.media:
        assert len(media.codecs) <= len(media.formats)


@given(sdp_lines(), st.sampled_from(DIRECTIONS))
def test_generated_sdps_with_direction(sections: list[list[Line]], direction: Direction) -> None:
    sdp = parse_sdp("".join(f"{t}={v}\r\n" for lines in sections for t, v in lines))
    changed = sdp.with_direction(direction)
    assert parse_sdp(bytes(changed)) == changed
    if sdp.media:
        assert changed.direction is None
        assert all(changed.effective_direction(i) == direction for i in range(len(sdp.media)))
    else:
        assert changed.direction == direction
    # Nothing but direction lines changed, and at most one was added per section.
    assert [line for line in changed.lines if line.value not in DIRECTIONS] == [
        line for line in sdp.lines if line.value not in DIRECTIONS
    ]
    for before, after in zip(sdp.media, changed.media, strict=True):
        assert len(after.lines) - len(before.lines) in (0, 1)
        assert [line for line in after.lines if line.value not in DIRECTIONS] == [
            line for line in before.lines if line.value not in DIRECTIONS
        ]
    # Setting back the direction every section had gives back the very same bytes.
    original = sdp.media[0].direction if sdp.media else None
    if original and sdp.direction is None and all(m.direction == original for m in sdp.media):
        assert bytes(changed.with_direction(original)) == bytes(sdp)
