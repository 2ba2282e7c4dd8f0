"""`/nova follow [track]` and `/nova unfollow [track]`: reminders for a whole track.

Following a track wants a reminder for each of its sessions, including those a reload
adds later, without bookmarking each. A reminder is keyed on (person, session, start),
so a session both bookmarked and followed is reminded once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.commands.registry import Registry, Request
from bot.core import Core
from bot.core.message import Message, escape
from bot.render.blocks import note, section
from bot.render.words import duration_words
from schedule.model import fold


def tracks(req: Request) -> list[str]:
    """The tracks of the schedule in service, most sessions first."""
    counts = Counter(s.track for s in req.index.sessions if s.track.strip())
    return [track for track, _ in sorted(counts.items(), key=lambda kv: (-kv[1], fold(kv[0])))]


def default_track(req: Request) -> str | None:
    """The schedule's track: the configured one, or the only one there is."""
    known = tracks(req)
    configured = req.core.settings.schedule_track
    if configured and configured in known:
        return configured
    return known[0] if len(known) == 1 else None


def find_track(req: Request, words: str) -> str | None:
    """The track `words` names: the same name ignoring case and accents, or the only match."""
    wanted = fold(" ".join(words.split()))
    known = tracks(req)
    for track in known:
        if fold(track) == wanted:
            return track
    partial = [track for track in known if wanted in fold(track)]
    return partial[0] if len(partial) == 1 else None


def _choose(req: Request, verb: str) -> str | Message:
    """The track the request names (or the default one), or the message explaining why not."""
    cmd = req.core.settings.command
    known = tracks(req)
    if not known:
        return _say("This schedule has no tracks to follow; bookmark sessions instead.")
    listed = ", ".join(f"*{escape(t)}*" for t in known[:25])
    if req.args:
        found = find_track(req, req.args)
        if found is None:
            return _say(f"There is no track `{escape(req.args[:100])}`. Tracks: {listed}.")
        return found
    chosen = default_track(req)
    if chosen is None:
        following = req.core.store.follows.tracks_of(req.user_id)
        mine = ", ".join(f"*{escape(t)}*" for t in sorted(following)) or "none"
        return _say(
            f"Which track? `{cmd} {verb} <track>` with one of: {listed}. You follow: {mine}."
        )
    return chosen


def follow(req: Request) -> Message:
    """Follow a track (the schedule's own by default) and plan its reminders."""
    chosen = _choose(req, "follow")
    if isinstance(chosen, Message):
        return chosen
    core = req.core
    cmd = core.settings.command
    added = core.store.follows.follow(req.user_id, chosen, req.at)
    count = sum(1 for s in req.index.sessions if s.track == chosen)
    if not added:
        return _say(
            f"You already follow the *{escape(chosen)}* track ({count} sessions). "
            f"`{cmd} unfollow {escape(chosen)}` stops its reminders."
        )
    replan(core, req.user_id, chosen, req.at)
    prefs = core.store.people.preferences([req.user_id])[req.user_id]
    lead = (
        prefs.lead_minutes
        if prefs.lead_minutes is not None
        else core.settings.reminder_lead_minutes
    )
    coming = coming_reminders(core, req.user_id, chosen)
    # Promise only what the planner planned: sessions begun or too close get none.
    left_out = count - coming
    text = (
        f"You now follow the *{escape(chosen)}* track: a reminder {duration_words(lead)} before "
        f"each of its {_sessions(coming, 'coming ')}, and of any added later. "
        "Bookmarked ones are reminded once."
        if prefs.reminders_enabled
        else f"You now follow the *{escape(chosen)}* track ({_sessions(count)})."
    )
    extra = []
    if prefs.reminders_enabled and left_out > 0:
        extra.append(
            f"{_sessions(left_out).capitalize()} "
            + ("has begun, ended or starts" if left_out == 1 else "have begun, ended or start")
            + " too soon for a reminder."
        )
    if not prefs.reminders_enabled:
        extra.append("Your reminders are off, so none will come until you turn them on.")
    extra.append(f"`{cmd} unfollow {escape(chosen)}` stops them.")
    return _say(text, " ".join(extra))


def unfollow(req: Request) -> Message:
    """Stop following a track; the reminders of its sessions go, bookmarked ones stay."""
    following = req.core.store.follows.tracks_of(req.user_id)
    if not req.args and len(following) == 1:
        chosen: str | Message = next(iter(following))
    else:
        chosen = _choose(req, "unfollow")
    if isinstance(chosen, Message):
        return chosen
    if not req.core.store.follows.unfollow(req.user_id, chosen):
        return _say(f"You do not follow the *{escape(chosen)}* track.")
    replan(req.core, req.user_id, chosen, req.at)
    return _say(
        f"You no longer follow the *{escape(chosen)}* track; "
        "the reminders of the sessions you bookmarked stay."
    )


def coming_reminders(core: Core, user_id: str, track: str) -> int:
    """How many sessions of `track` have a reminder coming for `user_id`."""
    from bot.storage.records import OutboxKind, OutboxStatus

    ids = {s.id for s in core.index.sessions if s.track == track}
    coming = core.store.outbox.items(
        OutboxKind.REMINDER, [OutboxStatus.PENDING, OutboxStatus.CLAIMED], user_id
    )
    return len({d.session_id for d in coming if d.session_id in ids})


def _sessions(n: int, adjective: str = "") -> str:
    return f"{n} {adjective}session{'s' * (n != 1)}"


def replan(core: Core, user_id: str, track: str, at: datetime) -> None:
    """Bring the person's reminders for the track's sessions in line with what they want."""
    from bot.reminders.planner import plan_reminders

    sessions = {s.id for s in core.index.sessions if s.track == track}
    plan_reminders(core, at, users={user_id}, sessions=sessions)


def _say(text: str, footnote: str | None = None) -> Message:
    """A short answer: one section, and a note under it when given."""
    blocks = (section(text),) if footnote is None else (section(text), note(footnote))
    plain = text.replace("*", "").replace("`", "")
    return Message(text=plain, blocks=blocks)


def register(registry: Registry) -> None:
    """Add this module's subcommands and buttons to `registry`."""
    registry.add_command(
        "follow",
        "follow [track]",
        "reminders for every session of a track, new ones included",
        follow,
        group="Your summit",
    )
    registry.add_command(
        "unfollow",
        "unfollow [track]",
        "stop the reminders of a track you follow",
        unfollow,
        group="Your summit",
    )
