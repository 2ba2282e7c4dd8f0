"""Metrics: answers counted by subcommand and timed, the page's text format, several processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core import Core
from bot.metrics import REMINDER_OUTCOMES, Metrics
from tests.factories import local

ROOT = Path(__file__).parents[2]
AT = local("2013-11-05 11:20")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, keyed by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def answers(metrics: Metrics, command: str) -> float:
    """`summit_bot_answers_total{command}`."""
    return metrics.registry.get_sample_value("summit_bot_answers_total", {"command": command}) or 0


def test_answers_are_counted_by_subcommand(core: Core) -> None:
    """Each answer adds one to its subcommand's count; aliases, days and nonsense are bounded."""
    for text in ("/nova now", "/nova", "next", "/nova thursday", "/nova frobnicate x", "/nova ics"):
        core.answer(text, "U1", AT)
    metrics = core.metrics
    assert answers(metrics, "now") == 2
    assert answers(metrics, "next") == 1
    assert answers(metrics, "day") == 1
    assert answers(metrics, "unknown") == 1
    assert answers(metrics, "export") == 1  # "ics" is export's alias
    assert metrics.registry.get_sample_value("summit_bot_request_seconds_count") == 6
    assert (metrics.registry.get_sample_value("summit_bot_request_seconds_sum") or 0) > 0


def test_exposition_has_every_contract_name(core: Core) -> None:
    """The text format names the five metrics, each reminder outcome at 0, and the pending count."""
    core.answer("/nova now", "U1", AT)
    found = samples(core.metrics.exposition(pending=7).decode("utf-8"))
    assert found[("summit_bot_answers_total", (("command", "now"),))] == 1
    for outcome in REMINDER_OUTCOMES:
        assert found[("summit_bot_reminders_total", (("outcome", outcome),))] == 0
    assert found[("summit_bot_reminder_lateness_seconds_count", ())] == 0
    assert found[("summit_bot_outbox_pending", ())] == 7
    assert found[("summit_bot_request_seconds_count", ())] == 1


def test_lateness_is_arrival_against_due() -> None:
    """A reminder sent 90 s after its due time lands in the 120 s bucket, not the 60 s one."""
    metrics = Metrics()
    metrics.reminder("sent", AT, AT.replace(minute=21, second=30))
    get = metrics.registry.get_sample_value
    assert get("summit_bot_reminder_lateness_seconds_bucket", {"le": "60.0"}) == 0
    assert get("summit_bot_reminder_lateness_seconds_bucket", {"le": "120.0"}) == 1
    assert get("summit_bot_reminder_lateness_seconds_sum") == 90
    assert get("summit_bot_reminders_total", {"outcome": "sent"}) == 1
    with pytest.raises(ValueError, match="unknown reminder outcome"):
        metrics.reminder("lost")


def test_two_metrics_objects_share_nothing() -> None:
    """Each runtime's Metrics has its own registry: counting in one leaves the other at 0."""
    first, second = Metrics(), Metrics()
    first.reminder("missed")
    assert first.registry.get_sample_value("summit_bot_reminders_total", {"outcome": "missed"}) == 1
    assert (
        second.registry.get_sample_value("summit_bot_reminders_total", {"outcome": "missed"}) == 0
    )


WORKER = """
import sys
from bot.metrics import Metrics
metrics = Metrics(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with metrics.answering("now"):
        pass
metrics.reminder("sent")
"""


def test_several_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, one scrape shows the sum of every worker's counts."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    for count in ("2", "3"):
        subprocess.run(
            [sys.executable, "-c", WORKER, str(folder), count], env=env, check=True, timeout=60
        )
    found = samples(Metrics(str(folder)).exposition().decode("utf-8"))
    assert found[("summit_bot_answers_total", (("command", "now"),))] == 5
    assert found[("summit_bot_reminders_total", (("outcome", "sent"),))] == 2
    assert found[("summit_bot_request_seconds_count", ())] == 5


def test_answers_are_counted_per_command_on_every_call() -> None:
    """The cached labelled counter still counts each answer to its own command, and times each."""
    metrics = Metrics()
    for command in ("now", "next", "now"):
        with metrics.answering(command):
            pass
    get = metrics.registry.get_sample_value
    assert get("summit_bot_answers_total", {"command": "now"}) == 2
    assert get("summit_bot_answers_total", {"command": "next"}) == 1
    assert get("summit_bot_request_seconds_count") == 3


def test_a_failed_answer_is_timed_but_not_counted() -> None:
    """An answer that raises is timed (as before) but not counted as given."""
    metrics = Metrics()
    with pytest.raises(KeyError), metrics.answering("now"):
        raise KeyError("boom")
    get = metrics.registry.get_sample_value
    assert get("summit_bot_request_seconds_count") == 1
    assert get("summit_bot_answers_total", {"command": "now"}) is None


def test_metrics_not_kept_record_nothing_and_load_no_prometheus() -> None:
    """`Metrics(kept=False)` (a one-shot `ask`) counts nothing and never imports prometheus_client."""
    code = (
        "import sys\n"
        "from bot.metrics import Metrics\n"
        "m = Metrics(kept=False)\n"
        "with m.answering('now'):\n"
        "    pass\n"
        "m.reminder('sent')\n"
        "assert m.exposition() == b''\n"
        "assert 'prometheus_client' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
