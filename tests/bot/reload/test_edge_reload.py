"""Adversarial reloads: an admin's `/nova reload FILE|URL` reads only what it may, quotes nothing.

Each case is an attack from issue 9 or a variant of one; `REFUSAL` is the one line every
refused or unreadable source gets, so the answers map neither files nor ports.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import main
from bot.core import Core
from bot.core.message import Message
from bot.core.schedule_source import ScheduleSource
from bot.reload import serving_schedule
from bot.reload.confine import REFUSAL, SourcePolicy, SourceRefused, brief, is_public
from bot.reload.fetch import MAX_BYTES
from bot.settings import Settings
from bot.store import Store
from schedule.importers import dump_schedule, load_bundled
from schedule.model import Schedule
from tests.factories import local
from tests.support.wiring import make_core

AT = local("2013-11-04 09:00")
ADMIN = "UADMIN"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
BOT_TOKEN = "xoxb-1111-2222-leakleakleak"
SECRET_FILE = f"SLACK_SIGNING_SECRET={SIGNING_SECRET}\nSLACK_BOT_TOKEN={BOT_TOKEN}\n"


def moved_schedule() -> Schedule:
    """The bundled schedule with its first session an hour later."""
    bundled = load_bundled()
    first = bundled.sessions[0]
    hour = timedelta(hours=1)
    moved = dataclasses.replace(first, start=first.start + hour, end=first.end + hour)
    return dataclasses.replace(bundled, sessions=(moved, *bundled.sessions[1:]))


def blob(message: Message) -> str:
    """Everything a message says: fallback text and blocks."""
    return message.text + repr(message.to_dict())


class Site:
    """A loopback web server with fixed routes: path -> (status, headers, body); counts hits."""

    def __init__(self) -> None:
        """Bind a free loopback port (not yet serving)."""
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append(self.path)
                status, headers, body = site.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The URL of `path` on this site under `host`."""
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def site() -> Iterator[Site]:
    """A loopback site, shut down after the test."""
    made = Site()
    made.thread.start()
    yield made
    made.httpd.shutdown()


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    """The SUMMIT_BOT_RELOAD_DIR of the tests, with a good schedule in it."""
    folder = tmp_path / "schedules"
    folder.mkdir()
    (folder / "moved.json").write_text(dump_schedule(moved_schedule()), encoding="utf-8")
    return folder


@pytest.fixture
def secrets_outside(tmp_path: Path) -> Path:
    """A .env beside (not inside) the reload folder, holding secrets."""
    path = tmp_path / ".env"
    path.write_text(SECRET_FILE, encoding="utf-8")
    return path


def admin_core(store: Store, **changes: object) -> Core:
    """The bundled schedule served with UADMIN as admin, a zone set (Sched text parses)."""
    settings = dataclasses.replace(
        Settings.from_env({}, env_file=None),
        admin_user_ids=frozenset({ADMIN}),
        schedule_timezone="Asia/Hong_Kong",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        **changes,  # type: ignore[arg-type]
    )
    return make_core(settings, store, ScheduleSource(load_bundled()))


def ask_reload(core: Core, argument: str) -> Message:
    """An admin's `/nova reload <argument>`."""
    return core.answer(f"/nova reload {argument}", ADMIN, AT)


def assert_refused(message: Message, core: Core) -> None:
    """The generic refusal, and the schedule in service unchanged."""
    assert REFUSAL in message.text
    assert len(core.index.sessions) == 31
    assert core.index.sessions == load_bundled().sessions


# -- files ---------------------------------------------------------------------------------


def test_proc_environ_is_refused_without_a_reload_dir(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """`/nova reload /proc/self/environ` with no SUMMIT_BOT_RELOAD_DIR quotes nothing of it."""
    core = admin_core(sqlite_store)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="bot.reload")  # `summit-bot reload` quiets it
    message = ask_reload(core, "/proc/self/environ")
    assert_refused(message, core)
    environ = Path("/proc/self/environ").read_bytes().split(b"\0")
    said = blob(message) + caplog.text
    for entry in environ:
        if len(entry) > 8:
            assert entry.decode("utf-8", "replace") not in said


def test_dotenv_outside_the_reload_dir_is_refused(
    sqlite_store: Store, jail: Path, secrets_outside: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A .env outside the folder is refused; neither the answer nor the log holds its secrets."""
    core = admin_core(sqlite_store, reload_dir=str(jail))
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="bot.reload")  # `summit-bot reload` quiets it
    for argument in (str(secrets_outside), "../.env", f"{jail}/../.env", "./../.env"):
        message = ask_reload(core, argument)
        assert_refused(message, core)
        for secret in (SIGNING_SECRET, BOT_TOKEN):
            assert secret not in blob(message)
            assert secret not in caplog.text


def test_file_arguments_are_refused_when_the_reload_dir_is_unset(
    sqlite_store: Store, jail: Path
) -> None:
    """Without SUMMIT_BOT_RELOAD_DIR even a good schedule file is refused."""
    core = admin_core(sqlite_store)
    assert_refused(ask_reload(core, str(jail / "moved.json")), core)


def test_etc_shadow_and_passwd_are_refused(sqlite_store: Store, jail: Path) -> None:
    """System files outside the folder are refused with the same line, quoting nothing."""
    core = admin_core(sqlite_store, reload_dir=str(jail))
    for argument in ("/etc/shadow", "/etc/passwd", "file:///etc/passwd"):
        message = ask_reload(core, argument)
        assert_refused(message, core)
        assert "root:" not in blob(message)


def test_symlink_to_a_file_outside_is_refused(
    sqlite_store: Store, jail: Path, secrets_outside: Path
) -> None:
    """A symlink inside the folder may not lead out of it."""
    (jail / "innocent.ics").symlink_to(secrets_outside)
    core = admin_core(sqlite_store, reload_dir=str(jail))
    message = ask_reload(core, "innocent.ics")
    assert_refused(message, core)
    assert SIGNING_SECRET not in blob(message)


def test_symlinked_folder_leading_outside_is_refused(
    sqlite_store: Store, jail: Path, secrets_outside: Path
) -> None:
    """A symlinked folder inside the reload folder may not lead out either."""
    (jail / "sub").symlink_to(secrets_outside.parent)
    core = admin_core(sqlite_store, reload_dir=str(jail))
    assert_refused(ask_reload(core, "sub/.env"), core)


def test_symlink_inside_the_folder_is_followed(sqlite_store: Store, jail: Path) -> None:
    """A symlink that stays inside the folder is fine."""
    (jail / "current.json").symlink_to(jail / "moved.json")
    core = admin_core(sqlite_store, reload_dir=str(jail))
    assert ask_reload(core, "current.json").text.startswith("Reloaded current.json: 1 moved.")


def test_missing_and_forbidden_files_get_the_same_answer(
    sqlite_store: Store, jail: Path, secrets_outside: Path
) -> None:
    """Whether a file exists outside or inside the folder cannot be told from the answer."""
    core = admin_core(sqlite_store, reload_dir=str(jail))
    answers = {
        ask_reload(core, name).text.replace(name, "X")
        for name in (str(secrets_outside), "/nonexistent/file", "missing.ics", "/etc/shadow")
    }
    assert len(answers) == 1


def test_fifo_device_and_folder_are_refused_without_blocking(
    sqlite_store: Store, jail: Path
) -> None:
    """A FIFO, a device reached by symlink and a folder are refused at once."""
    os.mkfifo(jail / "pipe.ics")
    (jail / "zero.ics").symlink_to("/dev/zero")
    (jail / "folder.ics").mkdir()
    core = admin_core(sqlite_store, reload_dir=str(jail))
    begin = time.monotonic()
    for name in ("pipe.ics", "zero.ics", "folder.ics", "/dev/zero", "."):
        assert_refused(ask_reload(core, name), core)
    assert time.monotonic() - begin < 5


def test_nul_byte_and_empty_names_are_refused(sqlite_store: Store, jail: Path) -> None:
    """A NUL byte in the argument is refused, not an exception."""
    core = admin_core(sqlite_store, reload_dir=str(jail))
    assert_refused(ask_reload(core, "moved.json\x00.ics"), core)


def test_oversized_file_is_refused_before_it_is_read(sqlite_store: Store, jail: Path) -> None:
    """A file above the URL limit is refused from its size alone (a sparse 2 GB file is instant)."""
    big = jail / "huge.ics"
    with big.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    core = admin_core(sqlite_store, reload_dir=str(jail))
    begin = time.monotonic()
    assert_refused(ask_reload(core, "huge.ics"), core)
    assert time.monotonic() - begin < 2


def test_file_at_the_limit_plus_one_is_refused(jail: Path) -> None:
    """The local limit is the URL limit: one byte more is refused."""
    policy = SourcePolicy(str(jail), max_bytes=100)
    (jail / "edge.ics").write_bytes(b"x" * 100)
    (jail / "over.ics").write_bytes(b"x" * 101)
    assert policy.read_file("edge.ics") == b"x" * 100
    with pytest.raises(SourceRefused):
        policy.read_file("over.ics")
    assert SourcePolicy("x").max_bytes == MAX_BYTES


def test_trusted_local_file_is_size_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator's `summit-bot reload FILE` refuses a file over the limit without reading it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    big = tmp_path / "huge.ics"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    begin = time.monotonic()
    assert main(["reload", str(big)]) == 2
    assert time.monotonic() - begin < 10
    assert f"larger than {MAX_BYTES} bytes" in capsys.readouterr().err


def test_operator_cli_reload_stays_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`summit-bot reload FILE` reads a file anywhere, with no SUMMIT_BOT_RELOAD_DIR set."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("SUMMIT_BOT_RELOAD_DIR", raising=False)
    path = tmp_path / "elsewhere.json"
    path.write_text(dump_schedule(moved_schedule()), encoding="utf-8")
    assert main(["reload", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"Reloaded {path}: 1 moved.")
    with Store.open(url) as store:
        served = serving_schedule(Settings.from_env({}, env_file=None), store)
    assert served.sessions == moved_schedule().sessions


def test_parse_error_of_an_accepted_file_quotes_a_short_escaped_excerpt(
    sqlite_store: Store, jail: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken file inside the folder: the reason is one short line, escaped in Slack."""
    line = "<!channel> " + "A" * 5000
    (jail / "broken.txt").write_text(f"{line}\nTuesday, November 5\n{line}\n", encoding="utf-8")
    core = admin_core(sqlite_store, reload_dir=str(jail))
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="bot.reload")  # `summit-bot reload` quiets it
    message = ask_reload(core, "broken.txt")
    assert "refused" in message.text
    assert REFUSAL not in message.text
    assert "A" * 400 not in blob(message)
    assert "<!channel>" not in blob(message)
    for record in caplog.records:
        assert "\n" not in record.getMessage()
        assert "A" * 400 not in record.getMessage()


def test_reload_argument_in_slack_markup_is_escaped_in_the_answer(
    sqlite_store: Store, jail: Path
) -> None:
    """The source named in the answer cannot ping: `<!channel>` comes back escaped."""
    core = admin_core(sqlite_store, reload_dir=str(jail))
    message = ask_reload(core, "<!channel>")
    assert "<!channel>" not in blob(message)
    assert_refused(message, core)


def test_good_file_inside_the_folder_is_applied(sqlite_store: Store, jail: Path) -> None:
    """The allowed case still works: a schedule inside the folder is applied, by name or path."""
    core = admin_core(sqlite_store, reload_dir=str(jail))
    assert ask_reload(core, str(jail / "moved.json")).text.startswith("Reloaded ")
    assert core.index.sessions == moved_schedule().sessions


# -- URLs ----------------------------------------------------------------------------------


def test_loopback_url_is_refused_and_never_fetched(sqlite_store: Store, site: Site) -> None:
    """`/nova reload http://127.0.0.1:PORT/evil.ics` is refused before any request is made."""
    site.routes["/evil.ics"] = (200, {}, dump_schedule(moved_schedule()).encode())
    core = admin_core(sqlite_store)
    assert_refused(ask_reload(core, site.url("/evil.ics")), core)
    assert_refused(ask_reload(core, f"<{site.url('/evil.ics')}|official schedule>"), core)
    assert_refused(ask_reload(core, site.url("/evil.ics", host="localhost")), core)
    assert site.hits == []


def test_open_and_closed_ports_answer_alike(sqlite_store: Store, site: Site) -> None:
    """The answers for an open and a closed loopback port are the same text."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    core = admin_core(sqlite_store)
    open_answer = ask_reload(core, f"http://127.0.0.1:{site.port}/x").text
    closed_answer = ask_reload(core, f"http://127.0.0.1:{closed_port}/x").text
    assert open_answer.replace(str(site.port), "P") == closed_answer.replace(str(closed_port), "P")


class Recorder:
    """A resolver and a connector that record what they were asked, connecting to `site`."""

    def __init__(self, answers: dict[str, Sequence[str]], site_port: int | None = None) -> None:
        """Resolve by `answers`; connect every address to 127.0.0.1:`site_port` (None: fail)."""
        self.answers = answers
        self.site_port = site_port
        self.resolved: list[str] = []
        self.connected: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> Sequence[str]:
        """The recorded answer for `host`."""
        self.resolved.append(host)
        return self.answers[host]

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        """Record the address; reach the loopback site standing in for it."""
        self.connected.append((address, port))
        if self.site_port is None:
            raise ConnectionRefusedError("no network in tests")
        return socket.create_connection(("127.0.0.1", self.site_port), timeout=timeout)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1.2.3/",
        "http://localhost/",
        "http://[::1]/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://240.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:7f00:1::]/",
        "http://[fd00::1]/",
        "http://198.18.0.1/",
    ],
)
def test_internal_addresses_are_refused_before_connecting(url: str) -> None:
    """Every non-public address, however written, is refused and never connected to."""
    recorder = Recorder({})

    def system_resolve(host: str, port: int) -> Sequence[str]:
        recorder.resolved.append(host)
        return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]

    policy = SourcePolicy(None, resolve=system_resolve, connect=recorder.connect)
    with pytest.raises(SourceRefused) as refused:
        policy.fetch(url)
    assert str(refused.value) == REFUSAL
    assert recorder.connected == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/s.ics",
        "file:///etc/passwd",
        "gopher://example.org/",
        "http://user:pw@example.org/s.ics",
        "http:///nohost",
        "http://example.org:99999/",
        "javascript:alert(1)",
    ],
)
def test_other_schemes_credentials_and_bad_urls_are_refused(url: str) -> None:
    """Only plain http(s) URLs to a host are fetched."""
    recorder = Recorder({"example.org": ["93.184.216.34"]})
    policy = SourcePolicy(None, resolve=recorder.resolve, connect=recorder.connect)
    with pytest.raises(SourceRefused):
        policy.fetch(url)
    assert recorder.connected == []


def test_host_with_one_private_address_among_public_ones_is_refused() -> None:
    """A name that also resolves inside is refused, whichever address comes first."""
    recorder = Recorder({"mixed.example": ["93.184.216.34", "127.0.0.1"]})
    policy = SourcePolicy(None, resolve=recorder.resolve, connect=recorder.connect)
    with pytest.raises(SourceRefused):
        policy.fetch("http://mixed.example/s.ics")
    assert recorder.connected == []


def test_connection_goes_to_the_address_that_was_checked(site: Site) -> None:
    """DNS rebinding: a second lookup would say 127.0.0.1, but none is made; the checked IP is used."""
    body = dump_schedule(moved_schedule()).encode()
    site.routes["/s.ics"] = (200, {}, body)
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    class Rebinding(Recorder):
        def resolve(self, host: str, port: int) -> Sequence[str]:
            self.resolved.append(host)
            return next(answers)

    recorder = Rebinding({}, site_port=site.port)
    policy = SourcePolicy(None, resolve=recorder.resolve, connect=recorder.connect)
    assert policy.fetch(f"http://rebind.example:{site.port}/s.ics") == body
    assert recorder.resolved == ["rebind.example"]
    assert recorder.connected == [("93.184.216.34", site.port)]


def test_redirect_to_loopback_is_refused_at_the_redirect(site: Site) -> None:
    """A public page redirecting inside is refused when it redirects; the inside is not fetched."""
    site.routes["/s.ics"] = (302, {"Location": f"http://127.0.0.1:{site.port}/evil.ics"}, b"")
    site.routes["/evil.ics"] = (200, {}, b"BEGIN:VCALENDAR")
    recorder = Recorder({"public.example": ["93.184.216.34"]}, site_port=site.port)

    def resolve(host: str, port: int) -> Sequence[str]:
        recorder.resolved.append(host)
        if host == "127.0.0.1":
            return ["127.0.0.1"]
        return recorder.answers[host]

    policy = SourcePolicy(None, resolve=resolve, connect=recorder.connect)
    with pytest.raises(SourceRefused):
        policy.fetch(f"http://public.example:{site.port}/s.ics")
    assert site.hits == ["/s.ics"]
    assert recorder.resolved == ["public.example", "127.0.0.1"]


def test_redirect_from_an_allowed_host_to_another_internal_host_is_refused(
    sqlite_store: Store, site: Site
) -> None:
    """Allowing one internal host does not allow what it redirects to."""
    site.routes["/s.ics"] = (301, {"Location": site.url("/evil.ics", host="127.0.0.2")}, b"")
    core = admin_core(sqlite_store, reload_allow_hosts=frozenset({"localhost"}))
    assert_refused(ask_reload(core, site.url("/s.ics", host="localhost")), core)
    assert site.hits == ["/s.ics"]


def test_redirects_within_an_allowed_host_are_followed(sqlite_store: Store, site: Site) -> None:
    """An allowed host may redirect to itself (relative Location), and the schedule is applied."""
    site.routes["/old.ics"] = (302, {"Location": "/new.json"}, b"")
    site.routes["/new.json"] = (200, {}, dump_schedule(moved_schedule()).encode())
    core = admin_core(sqlite_store, reload_allow_hosts=frozenset({"127.0.0.1"}))
    message = ask_reload(core, site.url("/old.ics"))
    assert message.text.startswith("Reloaded "), message.text
    assert site.hits == ["/old.ics", "/new.json"]


def test_redirect_loop_gives_up(site: Site) -> None:
    """A redirect loop is refused after a few hops, not followed for ever."""
    site.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    policy = SourcePolicy(None, allow_hosts=frozenset({"127.0.0.1"}))
    with pytest.raises(SourceRefused):
        policy.fetch(site.url("/loop"))
    assert 3 <= len(site.hits) <= 10


def test_oversized_body_is_refused(site: Site) -> None:
    """A body over the limit is refused (announced by Content-Length or not)."""
    site.routes["/big"] = (200, {}, b"x" * 2000)
    policy = SourcePolicy(None, allow_hosts=frozenset({"127.0.0.1"}), max_bytes=1000)
    with pytest.raises(SourceRefused):
        policy.fetch(site.url("/big"))


def test_http_errors_of_an_admin_url_say_nothing_more(site: Site) -> None:
    """A 404 or 500 from the server gets the same line as a refused address."""
    site.routes["/boom"] = (500, {}, b"internal detail")
    policy = SourcePolicy(None, allow_hosts=frozenset({"127.0.0.1"}))
    for path in ("/boom", "/nothing-here"):
        with pytest.raises(SourceRefused) as refused:
            policy.fetch(site.url(path))
        assert str(refused.value) == REFUSAL


def test_public_addresses_are_public() -> None:
    """The check lets ordinary public addresses through (so it is not refusing everything)."""
    assert is_public("93.184.216.34")
    assert is_public("2606:2800:220:1:248:1893:25c8:1946")
    assert not is_public("not an address")


def test_brief_keeps_reasons_short_and_on_one_line() -> None:
    """A reason with newlines and escapes comes out on one short line."""
    text = brief("line one\nline two\r\x1b[2J" + "x" * 1000)
    assert "\n" not in text
    assert "\r" not in text
    assert "\x1b" not in text
    assert len(text) <= 300


def test_https_is_verified_and_fails_closed(site: Site) -> None:
    """An https URL whose server does not speak verified TLS is refused, never read as plain."""
    site.routes["/s.ics"] = (200, {}, dump_schedule(moved_schedule()).encode())
    policy = SourcePolicy(None, allow_hosts=frozenset({"127.0.0.1"}), timeout=5)
    with pytest.raises(SourceRefused):
        policy.fetch(f"https://127.0.0.1:{site.port}/s.ics")
    assert site.hits == []


def test_operator_log_says_why_but_quotes_nothing(
    sqlite_store: Store, jail: Path, secrets_outside: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The admin gets the generic line; the operator's log names the cause, not the content."""
    core = admin_core(sqlite_store, reload_dir=str(jail))
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="bot.reload")  # `summit-bot reload` quiets it
    assert_refused(ask_reload(core, str(secrets_outside)), core)
    assert_refused(ask_reload(core, "http://127.0.0.1:9/x"), core)
    assert "outside SUMMIT_BOT_RELOAD_DIR" in caplog.text
    assert "non-public address" in caplog.text
    assert SIGNING_SECRET not in caplog.text
    assert BOT_TOKEN not in caplog.text
