"""Adversarial HTTP requests: oversized, malformed, forged and log-forging requests at the edge.

The bot runs under uvicorn on loopback (`bot` fixture); raw sockets send what http.client
would refuse to (lying Content-Length, non-ASCII headers, endless chunked bodies).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import socket
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.logs import configure_logging, one_line_handler
from bot.runtime import Runtime
from bot.slack.http_guard import MAX_BODY, Refused, checked_body, normal_form
from tests.bot.handlers.serving import SECRET, BotServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import encode_form, sign, slash_command_form

FORM = "application/x-www-form-urlencoded"
FORGED = "2026-12-01 00:00:00,000 ERROR summit_bot: database wiped by admin"


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 5.0) -> bytes:
    """Send `head` and `body` as they are; the status line (and what follows) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server may answer and close before taking all
            sock.sendall(head + body)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
    return data


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer."""
    match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
    assert match, answer[:200]
    return int(match.group(1))


def post_head(length: int | None, headers: dict[str, str] | None = None, **extra: str) -> bytes:
    """The head of a POST to /slack/events."""
    lines = ["POST /slack/events HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {FORM}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{k}: {v}" for k, v in {**(headers or {}), **extra}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def command(slack: FakeSlack, text: str) -> bytes:
    """A `/nova <text>` form body."""
    return encode_form(slash_command_form(text=text, response_url=slack.new_response_url()))


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG, for the test to inspect."""
    caplog.set_level(logging.DEBUG)
    return caplog


# -- size ----------------------------------------------------------------------------------


def test_huge_content_length_is_refused_before_the_body_is_sent(bot: BotServer) -> None:
    """A 50 MB Content-Length gets 413 at once: the server answers without waiting for the body."""
    begin = time.monotonic()
    answer = raw_request(bot.port, post_head(50 * 1024 * 1024), b"x" * 1000, timeout=5)
    assert status_of(answer) == 413
    assert time.monotonic() - begin < 3


def test_eight_huge_posts_are_all_refused_quickly(bot: BotServer, runtime: Runtime) -> None:
    """Eight 50 MB unsigned POSTs are eight quick 413s, and the bot still answers after them."""
    begin = time.monotonic()
    for _ in range(8):
        assert status_of(raw_request(bot.port, post_head(50 * 1024 * 1024), b"x" * 10)) == 413
    assert time.monotonic() - begin < 10
    assert bot.request("GET", "/healthz").status == 200


def test_endless_chunked_body_is_cut_at_the_limit(bot: BotServer) -> None:
    """A chunked body without Content-Length is cut once it passes 1 MiB, not read to the end."""
    head = post_head(None, **{"Transfer-Encoding": "chunked"})
    chunk = b"x" * 65536
    framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", bot.port), timeout=5) as sock:
        sock.sendall(head)
        sent = 0
        answer = b""
        try:
            while sent < 8 * MAX_BODY:  # stops by itself even if the server never answers
                sock.sendall(framed)
                sent += len(chunk)
                sock.settimeout(0.001)
                with contextlib.suppress(TimeoutError, BlockingIOError):
                    answer += sock.recv(4096)
                sock.settimeout(5)
                if answer:
                    break
        except OSError:
            pass  # the server closed the connection: it stopped the upload
        if not answer:
            sock.settimeout(5)
            with contextlib.suppress(OSError):  # a reset may swallow the answer
                answer = sock.recv(4096)
    # The server stopped the upload soon after 1 MiB: with a 413 when the answer survived
    # the closing connection (without the guard it would read all 8 MiB, then say 401).
    assert sent < 4 * MAX_BODY
    if answer:
        assert status_of(answer) == 413


def test_body_at_the_limit_is_read_and_one_byte_more_is_not(bot: BotServer) -> None:
    """Exactly 1 MiB is read (then refused for its signature); 1 MiB + 1 gets 413."""
    at_limit = b"a=" + b"x" * (MAX_BODY - 2)
    assert bot.post(at_limit, signed=False).status == 401
    over = at_limit + b"x"
    # Only the head is sent: the answer comes from Content-Length alone (sending the body
    # too races the server closing the connection, which the client sees as a reset).
    assert status_of(raw_request(bot.port, post_head(len(over)))) == 413
    signed = post_head(len(over), sign(over, SECRET))  # a signature does not lift the limit
    assert status_of(raw_request(bot.port, signed)) == 413


@pytest.mark.parametrize(
    "words", ["x" * 900_000, "search " + "a " * 400_000, "show " + "y" * 900_000]
)
def test_signed_command_just_under_the_limit_is_answered_briefly(
    bot: BotServer, slack: FakeSlack, words: str
) -> None:
    """A signed 900 kB `/nova …` is answered in the acknowledgement, fast and within Slack's limits."""
    form = slash_command_form(text=words, response_url=slack.new_response_url())
    begin = time.monotonic()
    reply = bot.post(encode_form(form, percent_encode=False))
    assert reply.status == 200
    answer = json.loads(reply.body)
    assert time.monotonic() - begin < 10
    assert len(answer["text"]) < 3000
    assert len(answer.get("blocks", [])) <= 50


def test_lying_content_length_is_refused(bot: BotServer) -> None:
    """A Content-Length that is not a number is refused, not a 500."""
    answer = raw_request(bot.port, post_head(None, **{"Content-Length": "12abc"}), b"x" * 12)
    assert status_of(answer) in (400, 413)


# -- signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        ("abc", None),
        ("", None),
        ("-1", None),
        ("1e9", None),
        ("99999999999999999999999999", None),
        (" 1700000000 ", None),
        (None, "v0=" + "é" * 64),
        (None, "v0=" + "Z" * 64),
        (None, "v0="),
        (None, "v1=" + "0" * 64),
        (None, "v0=" + "0" * 63),
        (None, "v0=" + "0" * 65),
        (None, "\x7f" * 10),
    ],
)
def test_malformed_timestamp_or_signature_gets_401_not_500(
    bot: BotServer, slack: FakeSlack, timestamp: str | None, signature: str | None
) -> None:
    """`X-Slack-Request-Timestamp: abc`, a non-ASCII or non-hex signature: 401, never a traceback."""
    body = command(slack, "now")
    headers = sign(body, SECRET)
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    answer = raw_request(bot.port, post_head(len(body), headers), body)
    assert status_of(answer) == 401
    assert b"Traceback" not in answer
    assert slack.responses() == []


def test_signature_of_another_body_gets_401(bot: BotServer, slack: FakeSlack) -> None:
    """A real signature replayed on a changed body is refused."""
    body = command(slack, "now")
    headers = sign(body, SECRET)
    tampered = body.replace(b"U123", b"U999")
    assert raw_request(bot.port, post_head(len(tampered), headers), tampered).startswith(
        b"HTTP/1.1 401"
    )


def test_failed_verification_is_one_short_line_without_the_body(
    bot: BotServer, records: pytest.LogCaptureFixture
) -> None:
    """An unsigned 100 kB body with a forged log line: one short record, nothing of the body."""
    body = ("text=" + "B" * 100_000 + "\n" + FORGED).encode()
    assert bot.post(body, signed=False).status == 401
    assert bot.post(body, secret="wrong").status == 401
    said = records.text
    assert "BBBBBBBBBB" not in said
    assert FORGED not in said
    refusals = [r for r in records.records if "refused a request" in r.getMessage()]
    assert len(refusals) == 2
    assert all(len(r.getMessage()) < 120 for r in refusals)


# -- shape ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\x00garbage", FORM),
        (b"payload=not-json", FORM),
        (b"payload=%7B", FORM),
        (b"payload=%5B1%2C2%5D", FORM),
        (b'payload={"type":"block_actions"}&extra=1', FORM),
        (b"text=%ff%fe", FORM),
        (b"&&&", FORM),
        (b"no-equals-sign", FORM),
        (b"{", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"a string"', "application/json"),
        (b"{not json", FORM),
    ],
)
def test_signed_but_malformed_body_gets_400(
    bot: BotServer, slack: FakeSlack, body: bytes, content_type: str
) -> None:
    """A correctly signed body Slack would never send is 400, not a 500 with a traceback."""
    reply = bot.post(body, content_type)
    assert reply.status == 400
    assert b"Traceback" not in reply.body
    assert slack.responses() == []


def test_the_word_payload_in_a_command_is_an_ordinary_word(
    bot: BotServer, slack: FakeSlack
) -> None:
    """`/nova search payload`: Bolt would take the form for an interaction; it is answered."""
    reply = bot.post(command(slack, "search payload"))
    assert reply.status == 200
    answer = json.loads(reply.body)
    assert "payload" in json.dumps(answer)
    assert answer["blocks"], "a real answer, not Bolt's empty ack of an unknown interaction"


def test_normal_form_keeps_every_field() -> None:
    """Re-encoding a form keeps each field as it was, "payload" and all."""
    text = "text=payload%20%26%20more&user_id=U1&empty="
    again = normal_form(text)
    assert "payload" not in again
    from urllib.parse import parse_qsl

    assert parse_qsl(again, keep_blank_values=True) == [
        ("text", "payload & more"),
        ("user_id", "U1"),
        ("empty", ""),
    ]


_TEXT = st.characters(blacklist_categories=("Cs",))  # what UTF-8 can carry


@given(
    st.lists(
        st.tuples(
            st.text(_TEXT, min_size=1, max_size=12).filter(lambda name: name != "payload"),
            st.text(_TEXT, max_size=30) | st.sampled_from(["payload", "a payload b", "%70ayload"]),
        ),
        max_size=6,
    )
)
def test_bolt_reads_every_command_form_as_sent(fields: list[tuple[str, str]]) -> None:
    """Whatever the form (passed on as it came, or re-encoded), Bolt reads the sent fields, never an interaction."""
    from urllib.parse import parse_qs, urlencode

    body = urlencode(fields).encode()
    passed = checked_body(body, FORM).decode()
    assert "payload" not in passed, "Bolt would take it for an interaction"
    sent: dict[str, list[str]] = {}
    for name, value in fields:
        if value:  # Bolt's parse_qs drops blank values, whatever the encoding
            sent.setdefault(name, []).append(value)
    assert parse_qs(passed) == sent
    if "payload" not in body.decode():
        assert passed == body.decode(), "a form without the word goes on byte for byte"


@given(
    st.text(st.sampled_from("ab=&%+2c8fFé ;"), max_size=24)
    | st.lists(st.sampled_from(["a=1", "=", "&", "b", "%zz", "%c3%a9", "%c3", "%ff", "x=%3D"])).map(
        "".join
    )
)
def test_a_form_is_refused_exactly_when_a_strict_parse_fails(text: str) -> None:
    """The guard's quick check of a form agrees with `parse_qsl(strict_parsing=True)` on any text."""
    from urllib.parse import parse_qsl

    try:
        parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
        parses = True
    except (ValueError, UnicodeDecodeError):
        parses = False
    try:
        normal_form(text)
        accepted = True
    except Refused:
        accepted = False
    assert accepted == (parses or not text)


def test_checked_body_keeps_interactions_and_json_events() -> None:
    """Well-formed interactions and event bodies pass through byte for byte."""
    interaction = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
    event = b'{"type": "event_callback"}'
    assert checked_body(interaction, FORM) == interaction
    assert checked_body(event, "application/json") == event
    with pytest.raises(Refused):
        checked_body(b"payload=1", FORM)


# -- logs ----------------------------------------------------------------------------------


def test_request_data_cannot_forge_a_log_line(bot: BotServer, slack: FakeSlack) -> None:
    """A signed event and command carrying newline + a fake record: every record stays one line."""
    stream = io.StringIO()
    handler = one_line_handler(stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        event = {"type": "event_callback", "event": {"type": "unheard_of", "x": "\r\n" + FORGED}}
        assert bot.event(event).status in (200, 404)
        reply = bot.post(command(slack, "show \n" + FORGED))
        assert reply.status == 200
        assert json.loads(reply.body)["text"], "the command was answered in the ack"
        assert bot.post(b"a=1\n" + FORGED.encode(), signed=False).status == 401
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    lines = stream.getvalue().splitlines()
    assert lines
    assert not any(line.startswith(FORGED) for line in lines)


def test_one_line_filter_escapes_messages_and_arguments() -> None:
    """CR, LF and other control characters in a message or its arguments come out escaped."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.edge.oneline")
    logger.propagate = False
    logger.addHandler(one_line_handler(stream))
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning("got %s", "a\r\nb\x1b[31m")
        logger.warning("raw\n" + FORGED)
        try:
            raise ValueError("boom\n" + FORGED)
        except ValueError:
            logger.exception("failed %s", "x\ny")
    finally:
        logger.handlers.clear()
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert "got a\\r\\nb\\x1b[31m" in lines[0]
    assert not any(line.startswith(FORGED) for line in lines)
    assert any(FORGED in line for line in lines)  # it is there, escaped inside a record
    assert any("failed x\\ny" in line for line in lines)


def test_configure_logging_escapes_on_every_root_handler() -> None:
    """The CLI's logging setup gives every root handler (a test runner's too) the escaping."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    filters = {h: list(h.filters) for h in root.handlers}
    try:
        configure_logging(logging.INFO)
        logging.getLogger("tests.edge").warning("a\nb")
    finally:
        for each, kept in filters.items():
            each.filters[:] = kept
        root.removeHandler(handler)
        root.setLevel(previous)
    assert stream.getvalue() == "a\\nb\n"
