"""The `summit-bot` command line: console, ask, convert and the Slack modes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from bot.clock import ReplayClock, fixed_clock
from bot.runtime import Runtime, build_runtime, read_time
from bot.settings import Settings, SettingsError, parse_clock_speed, parse_clock_start
from schedule.model import ScheduleError


class UsageError(Exception):
    """Bad arguments: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand, each with its help."""
    parser = _Parser(prog="summit-bot", description="The schedule companion of a conference.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text)

    def clock_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--at", metavar="TIME", help="fix the clock at TIME, in the summit's zone")
        p.add_argument("--start", metavar="INSTANT", help="replay: start the clock at INSTANT")
        p.add_argument("--speed", metavar="X", help="replay: clock seconds per real second")

    console = add("console", "chat with the bot in this terminal (no Slack needed)")
    clock_options(console)
    console.add_argument("--user", default="U_CONSOLE", help="the person you act as")

    ask = add("ask", "answer one /nova question and exit")
    clock_options(ask)
    ask.add_argument("--user", default="U_CONSOLE", help="the person asking")
    ask.add_argument("--json", action="store_true", help="print the message as Slack JSON")
    ask.add_argument("text", help='the question, e.g. "/nova now"')

    convert = add("convert", "turn a schedule file of any supported format into summit-bot JSON")
    convert.add_argument("source", help="a Sched page text, iCalendar or frab JSON file")
    convert.add_argument("-o", "--output", required=True, help="where to write the JSON")
    convert.add_argument("--timezone", help="the venue's zone, e.g. Asia/Hong_Kong")
    convert.add_argument("--track", help="the track name to give the sessions")
    convert.add_argument("--name", help="the schedule's name")
    return parser


def _runtime(args: argparse.Namespace, settings: Settings) -> Runtime:
    runtime = build_runtime(settings)
    start = parse_clock_start(args.start) if args.start else settings.clock_start
    speed = parse_clock_speed(args.speed) if args.speed else settings.clock_speed
    if args.at:
        at = read_time(args.at, runtime.core.index, runtime.clock.now())
        runtime.clock = fixed_clock(at)
    elif start is not None:
        runtime.clock = ReplayClock(start, speed)
    return runtime


def cmd_console(args: argparse.Namespace, settings: Settings) -> int:
    """Run the interactive console."""
    from bot.console import Console

    runtime = _runtime(args, settings)
    try:
        Console(runtime.core, runtime.clock, args.user).run()
    finally:
        runtime.close()
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print one answer."""
    from bot.render_text import render

    runtime = _runtime(args, settings)
    try:
        message = runtime.core.answer(args.text, args.user, runtime.clock.now())
    finally:
        runtime.close()
    if args.json:
        print(json.dumps(message.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(render(message)[0])
    return 0


def cmd_convert(args: argparse.Namespace, settings: Settings) -> int:
    """Convert a schedule file."""
    from schedule.importers import convert

    schedule = convert(
        args.source, args.output, timezone=args.timezone, track=args.track, name=args.name
    )
    print(f"wrote {len(schedule.sessions)} sessions to {args.output}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "console": cmd_console,
    "ask": cmd_ask,
    "convert": cmd_convert,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors are one line on stderr with exit status 2."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        settings = Settings.from_env()
        return COMMANDS[args.command](args, settings)
    except (UsageError, SettingsError, ScheduleError, ValueError) as exc:
        print(f"summit-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
