"""`GET /metrics` on a running bot: answers, latency and the pending reminders move it."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.bot.web.conftest import Site


def scrape(site: Site) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples /metrics shows, keyed by name and sorted labels."""
    reply = site.get("/metrics")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.body.decode("utf-8"))
        for s in family.samples
    }


def test_metrics_move_with_answers_and_planned_reminders(site: Site) -> None:
    """Two answers and two bookmarks later, /metrics counts them and two reminders pending."""
    before = scrape(site)
    assert before[("summit_bot_outbox_pending", ())] == 0
    assert ("summit_bot_answers_total", (("command", "now"),)) not in before
    core, at = site.runtime.core, site.clock.now()
    core.answer("/nova now", "U1", at)
    core.answer("/nova mine", "U1", at)
    for session_id in ("a", "b"):
        session = core.index.get(session_id)
        assert session is not None
        core.set_bookmark("U1", session, True, at)
    after = scrape(site)
    assert after[("summit_bot_answers_total", (("command", "now"),))] == 1
    assert after[("summit_bot_answers_total", (("command", "mine"),))] == 1
    assert after[("summit_bot_request_seconds_count", ())] == 2
    assert after[("summit_bot_outbox_pending", ())] == 2
    assert b"U1" not in site.get("/metrics").body  # no person in any label
