"""The terminal backend: the same core and store as Slack, typed at a prompt."""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import TextIO

from bot.clock import Clock, ReplayClock
from bot.commands.export import save_attachments
from bot.console.render_text import Button, message_json, render, terminal_safe
from bot.core import Core
from bot.core.message import Message
from bot.core.times import read_time
from bot.render.words import clock_label, day_label

META_HELP = """\
Console commands:
  /nova <subcommand>   ask the bot (the "/nova" can be left out: just type `now`)
  :click N             press button N of the last answers
  :user ID             act as another person (now: {user})
  :time [TIME]         show the clock, or fix it at TIME ("thu 3pm", "2013-11-07 14:45")
  :warp [TIME] SPEED   run the clock from TIME (default: now) at SPEED (60 = an hour a minute)
  :json                show the last answer as Slack JSON
  :help                this help
  :quit                leave (Ctrl-D works too)"""


class Screen:
    """The console's output: messages as text with numbered buttons, DMs between prompts.

    It exists before the runtime (the console's messenger prints DMs on it) and is
    shared by the `Console` that answers, so `:click N` reaches a DM's buttons too.
    """

    def __init__(
        self, out: TextIO | None = None, *, line_buffer: Callable[[], str] | None = None
    ) -> None:
        """Print DMs to `out` (None: the standard output).

        `line_buffer` gives what the person has typed so far at the prompt (readline's
        buffer by default), so that a DM printed meanwhile can redraw it below.
        """
        self.out = out
        self.buttons: dict[int, Button] = {}
        self.last: Message | None = None
        self._next_button = 1
        self._lock = threading.Lock()
        self._print_lock = threading.Lock()
        self._prompt: str | None = None
        """The prompt being answered at the moment, None while the bot is answering."""
        self._line_buffer = line_buffer or _readline_buffer

    def show(self, message: Message) -> str:
        """Render `message` with fresh button numbers and remember its buttons and files."""
        with self._lock:
            text, buttons = render(message, self._next_button)
            for button in buttons:
                self.buttons[button.number] = button
            self._next_button += len(buttons)
            self.last = message
        saved = save_attachments(message, Path.cwd())
        return "\n".join([text, *(f"(saved {path})" for path in saved)])

    def say(self, user_id: str, message: Message) -> str:
        """Show a direct message the bot sends to `user_id` (reminders, change notices)."""
        return f"\n[DM to {user_id}]\n" + self.show(message)

    def print_dm(self, user_id: str, message: Message) -> None:
        """Print a direct message as it arrives; during a prompt, redraw it and the typing below."""
        text = self.say(user_id, message)
        with self._print_lock:
            stream = self.out or sys.stdout
            prompt = self._prompt
            stream.write(text + "\n")
            if prompt is not None:
                stream.write(prompt + self._line_buffer())
            stream.flush()

    def prompting(self, prompt: str | None) -> None:
        """Say that `prompt` is up (a DM then redraws it), or that it is gone (None)."""
        with self._print_lock:
            self._prompt = prompt

    def write(self, text: str) -> None:
        """Print an answer, never in the middle of a DM."""
        with self._print_lock:
            stream = self.out or sys.stdout
            if text:
                stream.write(text + "\n")
            stream.flush()


class Console:
    """A read-answer loop over the core, like a chat with the bot in a terminal."""

    def __init__(
        self,
        core: Core,
        clock: Clock,
        user_id: str = "U_CONSOLE",
        out: TextIO | None = None,
        *,
        screen: Screen | None = None,
        line_buffer: Callable[[], str] | None = None,
    ) -> None:
        """Answer as the bot for `user_id`, at the times `clock` shows, on `screen`.

        Without a screen one is made printing to `out` (see `Screen` for `line_buffer`).
        """
        self.core = core
        self.clock = clock
        self.user_id = user_id
        self.screen = screen or Screen(out, line_buffer=line_buffer)

    @property
    def buttons(self) -> dict[int, Button]:
        """The buttons shown so far, by number."""
        return self.screen.buttons

    @property
    def last(self) -> Message | None:
        """The message shown last."""
        return self.screen.last

    def show(self, message: Message) -> str:
        """Render `message` with fresh button numbers (see `Screen.show`)."""
        return self.screen.show(message)

    def exec_command(self, line: str) -> str:
        """Answer one typed line with the text to print."""
        line = line.strip()
        if not line:
            return ""
        if line.startswith(":"):
            return self._meta(line[1:])
        return self.show(self.core.answer(line, self.user_id, self.clock.now()))

    def _meta(self, line: str) -> str:
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        handlers: dict[str, Callable[[str], str]] = {
            "click": self._click,
            "user": self._user,
            "time": self._time,
            "warp": self._warp,
            "json": lambda _: message_json(self.last) if self.last else "",
            "help": lambda _: META_HELP.format(user=self.user_id),
        }
        handler = handlers.get(word.casefold())
        if handler is None:
            return f"Unknown console command ':{word}'. Type :help."
        try:
            return handler(rest)
        except ValueError as exc:
            return f"Error: {exc}"

    def _click(self, rest: str) -> str:
        if not rest.isdigit() or int(rest) not in self.buttons:
            return "Which button? Give the number shown in (n) after a button."
        button = self.buttons[int(rest)]
        result = self.core.act(button.action_id, button.value, self.user_id, self.clock.now())
        parts = [self.show(m) for m in (result.notice, result.update) if m is not None]
        return "\n\n".join(parts) or "Done."

    def _user(self, rest: str) -> str:
        if not rest:
            return f"You are {self.user_id}."
        self.user_id = rest.split()[0]
        return f"You are now {self.user_id}."

    def _time(self, rest: str) -> str:
        note = ""
        if rest:
            read = read_time(rest, self.core.index, self.clock.now())
            self._settable().set(read.instant, speed=0.0)
            note = f" Note: {read.note}." if read.note else ""
        now = self.clock.now()
        zone = self.core.index.schedule.zone
        local = now.astimezone(zone)
        return (
            f"The clock shows {day_label(now, zone)} {local.year} {clock_label(now, zone)} "
            f"({clock_label(now, UTC)}).{note}"
        )

    def _warp(self, rest: str) -> str:
        """`:warp TIME [SPEED]`, or `:warp SPEED` alone to run on from the clock's time."""
        words = rest.split()
        speed = 1.0
        # A trailing number is the speed: `:warp 60` runs on from now, never to the year 2060.
        if words and _is_speed(words[-1]):
            speed = float(words[-1])
            words = words[:-1]
        at = self.clock.now()
        note = ""
        if words:
            read = read_time(" ".join(words), self.core.index, at)
            at, note = read.instant, f" Note: {read.note}." if read.note else ""
        self._settable().set(at, speed=speed)
        return self._time("") + f" Running at {speed:g}× speed.{note}"

    def _settable(self) -> ReplayClock:
        if not isinstance(self.clock, ReplayClock):
            replay = ReplayClock(self.clock.now(), 1.0)
            self.clock = replay
        return self.clock

    def say(self, user_id: str, message: Message) -> str:
        """Show a direct message the bot sends to `user_id` (reminders, change notices)."""
        return self.screen.say(user_id, message)

    def print_dm(self, user_id: str, message: Message) -> None:
        """Print a direct message as it arrives, between prompts."""
        self.screen.print_dm(user_id, message)

    def run(self, read: Callable[[str], str] = input, out: TextIO | None = None) -> None:
        """Loop: prompt, read a line, print the answer, until :quit or end of input."""
        stream = self.screen.out = out or self.screen.out or sys.stdout
        _enable_history()
        zone = self.core.index.schedule.zone
        stream.write(
            f"summit-bot console — {terminal_safe(self.core.index.schedule.name)} "
            f"({len(self.core.index.sessions)} sessions, times in {zone}). Type :help.\n"
        )
        while True:
            prompt = f"{self.user_id}> "
            self.screen.prompting(prompt)
            try:
                line = read(prompt)
            except EOFError:
                stream.write("\n")
                return
            finally:
                self.screen.prompting(None)
            if line.strip() in {":quit", ":q", ":exit"}:
                return
            self.screen.write(self.exec_command(line))


def _readline_buffer() -> str:
    """What is typed at the prompt so far (nothing known without readline)."""
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline
        return ""
    return str(readline.get_line_buffer())


def _is_speed(word: str) -> bool:
    """True for a plain non-negative number such as "60" or "0.5"."""
    return re.fullmatch(r"\d+(?:\.\d+)?", word) is not None


def _enable_history() -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline
        return
    history = Path.home() / ".summit_bot_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    import atexit

    atexit.register(lambda: _save_history(readline, history))


def _save_history(readline: object, path: Path) -> None:
    with contextlib.suppress(OSError):
        readline.write_history_file(path)  # type: ignore[attr-defined]
