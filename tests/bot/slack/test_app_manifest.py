"""The Slack app manifests: what Slack needs to deliver to the app, in both modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands import build_registry
from bot.settings import Settings

ROOT = Path(__file__).parents[3]


def flatten(text: str) -> dict[str, list[str]]:
    """Read the manifests' YAML subset: every dotted key path with its scalar values."""
    found: dict[str, list[str]] = {}
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if body.startswith("- "):
            body, indent = body[2:], indent + 2
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parents = [key for _, key in stack]
        if body.endswith(":"):
            stack.append((indent, body[:-1]))
        elif ": " in body:
            key, value = body.split(": ", 1)
            found.setdefault(".".join([*parents, key]), []).append(value.strip('"'))
        else:
            found.setdefault(".".join(parents), []).append(body.strip('"'))
    return found


@pytest.fixture(params=["manifest.yml", "manifest.socket.yml"])
def manifest(request: pytest.FixtureRequest) -> tuple[str, dict[str, list[str]]]:
    """Each manifest, by name and read."""
    name = str(request.param)
    return name, flatten((ROOT / name).read_text(encoding="utf-8"))


def test_command_home_and_events(manifest: tuple[str, dict[str, list[str]]]) -> None:
    """Both manifests declare the slash command, interactivity, the Home tab and its event."""
    _, found = manifest
    assert found["features.slash_commands.command"] == [Settings().command]
    assert found["features.slash_commands.description"][0]
    registry = build_registry(None)
    for name in ("now", "next", "search", "mine", "share", "help"):
        assert name in found["features.slash_commands.usage_hint"][0]
        assert registry.find(name) is not None
    assert found["features.app_home.home_tab_enabled"] == ["true"]
    assert found["settings.interactivity.is_enabled"] == ["true"]
    assert found["settings.event_subscriptions.bot_events"] == ["app_home_opened"]


def test_bot_scopes(manifest: tuple[str, dict[str, list[str]]]) -> None:
    """The bot may answer, DM, read time zones and upload the calendar export."""
    _, found = manifest
    scopes = set(found["oauth_config.scopes.bot"])
    assert {
        "commands",
        "chat:write",
        "im:write",
        "im:history",
        "users:read",
        "files:write",
    } <= scopes


def test_transport_matches_the_mode(manifest: tuple[str, dict[str, list[str]]]) -> None:
    """The HTTP manifest sends everything to /slack/events; the socket one enables Socket Mode."""
    name, found = manifest
    urls = [
        *found.get("features.slash_commands.url", []),
        *found.get("settings.event_subscriptions.request_url", []),
        *found.get("settings.interactivity.request_url", []),
    ]
    if name == "manifest.yml":
        assert found["settings.socket_mode_enabled"] == ["false"]
        assert len(urls) == 3
        assert all(url.startswith("https://") and url.endswith("/slack/events") for url in urls)
    else:
        assert found["settings.socket_mode_enabled"] == ["true"]
        assert urls == []
