"""The bot's Prometheus metrics: one `Metrics` object per process, built by the runtime.

Each `Metrics` has its own `CollectorRegistry`, so nothing is registered at import and
two runtimes in one process (tests) never share counters. With several worker processes
behind one port, set `PROMETHEUS_MULTIPROC_DIR` (an empty folder, the same for all of
them, in the environment before they start): prometheus_client then keeps the values in
files there and `exposition` adds every process's values up.

A one-shot process (`summit-bot ask`) keeps no metrics (`kept=False`): nobody scrapes it,
and it never loads prometheus_client, which is imported only when metrics are kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from prometheus_client import Counter

#: Every outcome `summit_bot_reminders_total` counts (all exported from the start, at 0).
REMINDER_OUTCOMES: Final = ("sent", "missed", "failed", "reconciled")

#: Lateness buckets in seconds: a reminder should arrive within seconds of its due time;
#: a burst paced at Slack's limit may take a minute or more.
LATENESS_BUCKETS: Final = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)

#: Answer latency buckets in seconds: Slack wants the acknowledgement within 3 s.
REQUEST_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10)

#: The Prometheus text format `generate_latest` writes (what every Prometheus scrapes).
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The counters, histograms and gauges of one bot process."""

    def __init__(self, multiprocess_dir: str | None = None, *, kept: bool = True) -> None:
        """Make the metrics in a registry of their own; with `kept` False, record nothing."""
        self.multiprocess_dir = multiprocess_dir
        self.kept = kept
        # One labelled child per subcommand, looked up once: `labels()` costs a lock and
        # a tuple on every call, and it is on the path of every answer.
        self._answer_counts: dict[str, Counter] = {}
        if not kept:
            return
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.answers = Counter(
            "summit_bot_answers",
            "Answers given to the slash command, by subcommand.",
            ["command"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "summit_bot_request_seconds",
            "Time taken to build an answer to the slash command, in seconds.",
            buckets=REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.reminders = Counter(
            "summit_bot_reminders",
            "Reminders by outcome: sent, missed (too late), failed (Slack refused), reconciled.",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in REMINDER_OUTCOMES:
            self.reminders.labels(outcome=outcome)
        self.reminder_lateness = Histogram(
            "summit_bot_reminder_lateness_seconds",
            "How long after its due time a reminder reached Slack, in seconds.",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "summit_bot_outbox_pending",
            "Messages waiting to be sent (reminders not yet due or not yet sent).",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )

    @contextmanager
    def answering(self, command: str) -> Iterator[None]:
        """Count one answer to `command` and time the block that builds it."""
        if not self.kept:
            yield
            return
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.request_seconds.observe(time.perf_counter() - begin)
        count = self._answer_counts.get(command)
        if count is None:
            count = self._answer_counts[command] = self.answers.labels(command=command)
        count.inc()

    def reminder(
        self,
        outcome: str,
        due_at: datetime | None = None,
        at: datetime | None = None,
        *,
        count: int = 1,
    ) -> None:
        """Count `count` reminders of `outcome`; a sent one also records its lateness."""
        if outcome not in REMINDER_OUTCOMES:
            raise ValueError(f"unknown reminder outcome {outcome!r}")
        if count <= 0 or not self.kept:
            return
        self.reminders.labels(outcome=outcome).inc(count)
        if outcome == "sent" and due_at is not None and at is not None:
            self.reminder_lateness.observe(max((at - due_at).total_seconds(), 0.0))

    def exposition(self, pending: int | None = None) -> bytes:
        """The Prometheus text format of every metric (all processes' in multiprocess mode).

        `pending`, when given, is the outbox's current count, read by the caller at scrape.
        Metrics not kept give an empty text.
        """
        if not self.kept:
            return b""
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        if pending is not None:
            self.outbox_pending.set(pending)
        if self.multiprocess_dir:
            merged = CollectorRegistry()
            MultiProcessCollector(merged, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)
