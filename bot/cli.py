"""The `summit-bot` command line: console, ask, convert and the Slack modes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

# Only what parsing the arguments needs is imported up front, so `--help` and argument
# errors start fast; each subcommand imports what it uses (`python -X importtime`).
if TYPE_CHECKING:
    from datetime import datetime

    from bot.clock import Clock
    from bot.runtime import ClockChoice, MessengerFactory, Runtime
    from bot.secret import Secret
    from bot.settings import Settings
    from bot.store import Store
    from bot.web import PagesServer
    from schedule.index import ScheduleIndex


class UsageError(Exception):
    """Bad arguments: reported in one line, exit status 2."""


class NothingToDo(Exception):
    """Nothing was done, for a reason worth a line on stderr: exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Version(argparse.Action):
    """`--version`: the installed version, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"summit-bot {version()}")
        parser.exit()


def version() -> str:
    """The version of the installed summit-bot package."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("summit-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand, each with its help."""
    parser = _Parser(prog="summit-bot", description="The schedule companion of a conference.")
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text)

    def clock_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--at", metavar="TIME", help="fix the clock at TIME, in the summit's zone")
        p.add_argument("--start", metavar="TIME", help="replay: start the clock at TIME (as --at)")
        p.add_argument("--speed", metavar="X", help="replay: clock seconds per real second")

    console = add("console", "chat with the bot in this terminal (no Slack needed)")
    clock_options(console)
    console.add_argument("--user", default="U_CONSOLE", help="the person you act as")

    ask = add("ask", "answer one /nova question and exit")
    clock_options(ask)
    ask.add_argument("--user", default="U_CONSOLE", help="the person asking")
    ask.add_argument("--json", action="store_true", help="print the message as Slack JSON")
    ask.add_argument(
        "-o",
        "--output",
        help="where a file the answer carries goes (`export`): a file or a folder (default: .)",
    )
    ask.add_argument("text", help='the question, e.g. "/nova now"')

    convert = add("convert", "turn a schedule file of any supported format into summit-bot JSON")
    convert.add_argument(
        "source", help="a Sched page text, iCalendar, frab XML or frab/pretalx JSON file"
    )
    convert.add_argument("-o", "--output", required=True, help="where to write the JSON")
    convert.add_argument("--timezone", help="the venue's zone, e.g. Asia/Hong_Kong")
    convert.add_argument("--track", help="the track name to give the sessions")
    convert.add_argument("--name", help="the schedule's name")

    export = add("export", "write a person's bookmarks as an iCalendar (.ics) file")
    export.add_argument("--user", required=True, help="the person whose bookmarks to export")
    export.add_argument("-o", "--output", help="the file to write (default: the standard output)")

    reload = add("reload", "replace the schedule in service (every running bot takes it up)")
    reload.add_argument(
        "source", nargs="?", help="a schedule file or http(s) URL (default: the configured one)"
    )
    reload.add_argument(
        "--force",
        action="store_true",
        help="apply the schedule even if the guard would refuse it (e.g. another conference)",
    )
    reload.add_argument(
        "--notify",
        action="store_true",
        help="with --force: DM people about moved and cancelled sessions (default: nobody)",
    )

    run = add("run", "answer Slack over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)")
    clock_options(run)
    run.add_argument(
        "--http-port",
        metavar="N",
        help="also serve the web pages (calendar feeds, /screen, /metrics) on port N",
    )

    add("where", "print the database, the settings file and the settings in use (no secrets)")

    reset = add("reset", "delete the local SQLite database: bookmarks, reminders, preferences")
    reset.add_argument("--yes", action="store_true", help="really delete it")

    serve = add("serve", "answer Slack over HTTP (needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)")
    serve.add_argument(
        "--http", action="store_true", help="serve Slack's requests at POST /slack/events"
    )
    serve.add_argument("--host", help="the address to listen on (default: SUMMIT_BOT_HTTP_HOST)")
    serve.add_argument("--port", help="the port to listen on (default: SUMMIT_BOT_HTTP_PORT)")
    clock_options(serve)
    return parser


def _clock_choice(args: argparse.Namespace, settings: Settings) -> ClockChoice:
    """The clock `--at`, `--start` and `--speed` ask for, once the schedule is known."""
    from bot.clock import ReplayClock, fixed_clock
    from bot.settings import SettingsError, parse_clock_speed

    try:
        speed = parse_clock_speed(args.speed) if args.speed else settings.clock_speed
    except SettingsError:
        raise UsageError(
            f"--speed: {args.speed!r} is not a non-negative number; for example --speed 60"
        ) from None

    def choose(index: ScheduleIndex, clock: Clock) -> Clock:
        if args.at is not None:
            return fixed_clock(_flag_time("--at", args.at, index, clock.now()))
        if args.start is not None:
            return ReplayClock(_flag_time("--start", args.start, index, clock.now()), speed)
        if settings.clock_start is not None:
            return ReplayClock(settings.clock_start, speed)
        return clock

    return choose


def _flag_time(flag: str, text: str, index: ScheduleIndex, now: datetime) -> datetime:
    """The instant a time flag names; a DST note goes to stderr, a bad time is a UsageError."""
    from bot.core.times import read_time
    from schedule.timeparse import TimeError

    try:
        read = read_time(text, index, now)
    except TimeError as exc:
        raise UsageError(f"{flag}: {exc}; for example {flag} 'thu 15:00'") from None
    if read.note:
        print(f"summit-bot: {flag}: note: {read.note}", file=sys.stderr)
    return read.instant


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    """Run the interactive console."""
    from bot.console.terminal import Console, Screen
    from bot.outbox.messenger import ConsoleMessenger
    from bot.runtime import running

    _console_logging(settings)
    screen = Screen()

    def console_dms(settings: Settings, store: Store) -> ConsoleMessenger:
        return ConsoleMessenger(screen.print_dm)

    with running(settings, _clock_choice(args, settings), messenger=console_dms) as runtime:
        Console(runtime.core, runtime.clock, args.user, screen=screen).run()
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print one answer; write the files it carries (an export) where `-o` says, or here."""
    from bot.console.render_text import message_json, render
    from bot.runtime import running

    with running(settings, _clock_choice(args, settings), background=False) as runtime:
        message = runtime.core.answer(args.text, args.user, runtime.clock.now())
    saved = _save_files(message, args.output) if message.attachments else []
    if args.json:
        print(message_json(message))
        for path in saved:
            print(f"saved {path}", file=sys.stderr)
    else:
        print(render(message)[0])
        for path in saved:
            print(f"Saved {path}")
    return 0


def _save_files(message: Any, output: str | None) -> list[Path]:
    """Write the message's attachments into the folder `output` names, or as the file it names."""
    from bot.commands.export import save_attachments

    target = Path(output) if output else Path.cwd()
    try:
        if output and not target.is_dir() and len(message.attachments) == 1:
            target.write_bytes(message.attachments[0].content)
            return [target.resolve()]
        return save_attachments(message, target)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write: {exc.strerror or exc}") from None


def cmd_convert(args: argparse.Namespace, settings: Settings) -> int:
    """Convert a schedule file."""
    from schedule.importers import convert

    schedule = convert(
        args.source, args.output, timezone=args.timezone, track=args.track, name=args.name
    )
    print(f"wrote {len(schedule.sessions)} sessions to {args.output}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write a person's bookmarks as an .ics file; nobody's bookmarks: say so, exit 1."""
    from bot.clock import make_clock
    from bot.commands.export import bookmarked_sessions, bookmarks_ics
    from bot.reload import serving_schedule
    from bot.settings import prepare_database_folder
    from bot.store import Store

    prepare_database_folder(settings.database_url.reveal())
    with Store.open(settings.database_url.reveal()) as store:
        schedule = serving_schedule(settings, store)
        sessions = bookmarked_sessions(store, schedule, args.user)
    if not sessions:
        raise NothingToDo(
            f"{args.user} has no bookmarks in {schedule.name}: nothing to export "
            "(is DATABASE_URL the bot's database? `summit-bot where` shows it)"
        )
    data = bookmarks_ics(schedule, sessions, make_clock(settings.clock_start).now())
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        with open(args.output, "wb") as out:
            out.write(data)
    except OSError as exc:
        raise UsageError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {len(sessions)} sessions to {args.output}")
    return 0


def cmd_reload(args: argparse.Namespace, settings: Settings) -> int:
    """Reload the schedule into the database; running bots take it up and tell people."""
    import logging

    from bot.clock import make_clock
    from bot.core.schedule_source import ScheduleSource
    from bot.reload import Reloader, Status, serving_schedule
    from bot.settings import prepare_database_folder
    from bot.store import Store

    # The refusal is this command's one line of error; the reloader's log would repeat it.
    # The level is put back afterwards: `main` may run inside a longer-lived process.
    reload_log = logging.getLogger("bot.reload")
    level_before = reload_log.level
    reload_log.setLevel(logging.ERROR)
    try:
        prepare_database_folder(settings.database_url.reveal())
        with Store.open(settings.database_url.reveal()) as store:
            source = ScheduleSource(serving_schedule(settings, store))
            reloader = Reloader(settings, store, source, clock=make_clock(settings.clock_start))
            notify = None if not args.force else args.notify
            outcome = reloader.reload(args.source, force=args.force, notify=notify)
    finally:
        reload_log.setLevel(level_before)
    if outcome.status is Status.REFUSED:
        raise UsageError(outcome.describe())
    print(outcome.describe())
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve Slack over Socket Mode until interrupted."""
    import asyncio

    import aiohttp
    from slack_sdk.errors import SlackApiError

    from bot.runtime import running
    from bot.secret import reveal
    from bot.settings import SettingsError
    from bot.slack.socket_mode import run_socket_mode

    _require(settings.slack_bot_token, "SLACK_BOT_TOKEN", "the bot token, xoxb-…")
    _require(settings.slack_app_token, "SLACK_APP_TOKEN", "the app-level token, xapp-…")
    if not (reveal(settings.slack_app_token) or "").startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)")
    http_port = _port(args.http_port, "--http-port") if args.http_port is not None else None
    _configure_logging(settings)
    with running(settings, _clock_choice(args, settings), messenger=_slack_dms()) as runtime:
        pages = _pages_server(runtime, settings.http_host, http_port)
        try:
            if pages is not None:
                pages.start()
            asyncio.run(run_socket_mode(settings, runtime))
        except (SlackApiError, aiohttp.ClientConnectionError) as exc:
            raise SettingsError(f"could not connect to Slack: {_slack_reason(exc)}") from exc
        finally:
            if pages is not None:
                pages.stop()
    return 0


def cmd_where(args: argparse.Namespace, settings: Settings) -> int:
    """Print where the data lives and the settings in use; secrets only as set / not set."""
    from bot.settings import data_folder

    env_file = Path(".env")
    rows = [
        ("version", version()),
        ("database", _safe_url(settings.database_url.reveal())),
        ("data folder", str(data_folder())),
        ("settings file", str(env_file.resolve()) if env_file.is_file() else "none (no .env here)"),
        ("schedule", settings.schedule_url or settings.schedule_path or "bundled (Icehouse Nova)"),
        ("command", settings.command),
        ("admins", ", ".join(sorted(settings.admin_user_ids)) or "none"),
        (
            "reminders",
            f"{settings.reminder_lead_minutes} min before"
            if settings.reminders_enabled
            else "off (SUMMIT_BOT_REMINDERS)",
        ),
        ("clock", _clock_words(settings)),
        ("Slack API", settings.slack_api_url or "https://slack.com/api/"),
    ]
    for name in ("slack_bot_token", "slack_app_token", "slack_signing_secret"):
        rows.append((name.upper(), "set" if getattr(settings, name) else "not set"))
    rows += [
        ("HTTP", f"{settings.http_host}:{settings.http_port}"),
        ("log level", settings.log_level),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


def cmd_reset(args: argparse.Namespace, settings: Settings) -> int:
    """Delete the local SQLite database (with --yes); another database is left alone."""
    from bot.settings import sqlite_file

    path = sqlite_file(settings.database_url.reveal())
    if path is None:
        raise UsageError(
            "reset deletes a local SQLite database only; DATABASE_URL names "
            f"{_safe_url(settings.database_url.reveal())}"
        )
    files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    if not files:
        print(f"Nothing to reset: there is no database at {path}.")
        return 0
    if not args.yes:
        raise NothingToDo(
            f"this deletes {path} (every bookmark, reminder and preference); "
            "run `summit-bot reset --yes` to do it"
        )
    for file in files:
        file.unlink()
    print(f"Deleted {path}: the next start begins with no bookmarks.")
    return 0


def _safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


def _clock_words(settings: Settings) -> str:
    if settings.clock_start is None:
        return "real time"
    return f"replay from {settings.clock_start.isoformat()} at {settings.clock_speed:g}×"


def _pages_server(runtime: Runtime, host: str, port: int | None) -> PagesServer | None:
    """The web pages' server on `port` (bound now), or None without a port."""
    if port is None:
        return None
    from bot.settings import SettingsError
    from bot.web import PagesServer

    try:
        return PagesServer(runtime, host, port)
    except OSError as exc:
        raise SettingsError(
            f"--http-port: cannot listen on {host}:{port} ({exc.strerror})"
        ) from exc


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve Slack over HTTP until interrupted; Slack's answer to auth.test is checked first."""
    import asyncio

    from bot.runtime import running
    from bot.slack.app import check_slack
    from bot.slack.http_server import run_http

    if not args.http:
        raise UsageError("serve needs --http (Socket Mode is `summit-bot run`)")
    port = _port(args.port) if args.port is not None else settings.http_port
    host = args.host or settings.http_host
    _require(settings.slack_bot_token, "SLACK_BOT_TOKEN", "the bot token, xoxb-…")
    _require(settings.slack_signing_secret, "SLACK_SIGNING_SECRET", "the app's signing secret")
    _configure_logging(settings)
    identity = asyncio.run(check_slack(settings))
    with running(settings, _clock_choice(args, settings), messenger=_slack_dms()) as runtime:
        run_http(settings, runtime, host, port, identity)
    return 0


def _slack_dms() -> MessengerFactory:
    """DMs through the Slack client edge."""
    from bot.edge.slack import SlackMessenger

    return SlackMessenger.from_settings


def _require(value: Secret | None, name: str, what: str) -> None:
    from bot.settings import SettingsError

    if not value:
        raise SettingsError(f"{name} is not set ({what}); see docs/slack-setup.md")


def _port(text: str, option: str = "--port") -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise UsageError(f"{option}: {text!r} is not a port number (0-65535)")
    return int(text)


def _configure_logging(settings: Settings) -> None:
    import logging

    from bot.logs import configure_logging
    from bot.settings import SettingsError

    level = logging.getLevelName(settings.log_level)
    if not isinstance(level, int):
        raise SettingsError(f"LOG_LEVEL: {settings.log_level!r} is not a log level")
    configure_logging(level)
    # Migrations report each step at INFO: noise at every first start, not news.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    from bot.calendar_feed import RedactFeedTokens

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactFeedTokens) for f in handler.filters):
            handler.addFilter(RedactFeedTokens())


def _console_logging(settings: Settings) -> None:
    """The console shows warnings only, and none the answers already tell."""
    import logging

    level = max(logging.getLevelName(settings.log_level), logging.WARNING)
    logging.basicConfig(level=level, format="summit-bot: %(message)s")
    # A refused reload is the answer itself (and the admins' DM): not a log line too.
    logging.getLogger("bot.reload").setLevel(max(level, logging.ERROR))
    logging.getLogger("alembic").setLevel(level)


def _slack_reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error", "error"))
    return str(exc) or type(exc).__name__


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "console": cmd_console,
    "ask": cmd_ask,
    "convert": cmd_convert,
    "export": cmd_export,
    "reload": cmd_reload,
    "where": cmd_where,
    "reset": cmd_reset,
    "run": cmd_run,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors are one line on stderr with exit status 2.

    A reader that stops early (`summit-bot ask … | head -1`) ends it quietly.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"summit-bot: {exc}", file=sys.stderr)
        return 2
    if args.command is None:
        parser.print_help()
        return 2
    from bot.settings import Settings, SettingsError
    from schedule.model import ScheduleError

    try:
        settings = Settings.from_env()
        status = COMMANDS[args.command](args, settings)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # Python would complain again when flushing at exit: point stdout at nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # as a shell reports a process ended by SIGPIPE
    except NothingToDo as exc:
        print(f"summit-bot: {exc}", file=sys.stderr)
        return 1
    except (UsageError, SettingsError, ScheduleError, ValueError) as exc:
        print(f"summit-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
