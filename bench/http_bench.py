"""HTTP mode measured as answers: summit-bot against a bare Bolt app, side by side in one run.

What counts is the answer the person sees, wherever it arrives: in the body of the HTTP
acknowledgement, or later at the command's response_url. The load process is also the
response_url receiver (an aiohttp server on loopback), so every request has its own
response_url and every answer is timed from the moment its request was sent, on one clock.

Both servers are uvicorn + Starlette + Bolt's AsyncSlackRequestHandler, one worker each,
in their own subprocess on 127.0.0.1. The bare app answers `/nova` with a constant
string in its ack (Bolt's defaults otherwise); summit-bot is the real `serve --http`
app answering `/nova now` for a person with bookmarks. A fake Slack
(tests/support/fake_slack.py, in this process) answers both apps' Web API calls
(`auth.test`, summit-bot's background `users.info`).

For each server and round: answers/s (answers delivered over the time from the first
request to the last answer), p50/p99 latency to the answer, the drain (how long answers
keep arriving after the last acknowledgement), refusals ("busy" answers and 503s), and
lost answers: an acknowledgement after Slack's 3 s, or an empty acknowledgement whose
answer never reached the response_url; and the server's CPU time per request. After the levels, an overload run at 256
connections reports the same plus the servers' RSS before, at peak and after.

    python -m bench http
    python bench/http_bench.py --requests 2000 --concurrency 16,64 --rounds 3

Goals: answers/s ≥ 0.85 x bare and p99 ≤ 2 x bare at 16 and 64 connections, drained within
1 s, 0 lost; overload: 0 accepted-then-lost, RSS back within 30 MiB of its level before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
USER = "UBENCH01"
CLOCK_START = "2013-11-05T11:20:00+08:00"
BOOKMARKS = ("conductor-tasks-next-steps", "instance-tasks-in-api")
SLACK_ACK_LIMIT_MS = 3000.0
"""Slack drops an acknowledgement (and the answer in it) that takes longer than this."""
EXPECTED = {"bare": "ok", "summit-bot": "Conductor Tasks Next Steps"}
BUSY_MARK = "busy"
MIB = 1024 * 1024


# ---------------------------------------------------------------------- servers


def serve_bare(port: int, api_url: str) -> None:
    """A bare AsyncApp answering `/nova` with a constant string in its ack, served like summit-bot."""
    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.app.async_app import AsyncApp
    from slack_bolt.context.ack.async_ack import AsyncAck
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    app = AsyncApp(
        name="bare",
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
    )

    @app.command("/nova")
    async def nova(ack: AsyncAck) -> None:
        await ack("ok")

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    starlette = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    config = uvicorn.Config(
        starlette,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        lifespan="off",
    )
    uvicorn.Server(config).run()


def serve_summit(port: int, api_url: str, database_url: str) -> None:
    """summit-bot's own HTTP server (`summit-bot serve --http`) with a fixed clock."""
    from bot.cli import main

    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "SUMMIT_BOT_CLOCK_START": CLOCK_START,
            "SUMMIT_BOT_CLOCK_SPEED": "0",
            "SUMMIT_BOT_REMINDERS": "off",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.exit(main(["serve", "--http", "--host", "127.0.0.1", "--port", str(port)]))


def seed(database_url: str) -> None:
    """Give the benchmark's person some bookmarks."""
    from datetime import datetime

    from bot.store import Store

    at = datetime.fromisoformat(CLOCK_START)
    with Store.open(database_url) as store:
        store.bookmarks.add([(USER, session_id) for session_id in BOOKMARKS], at)


# ---------------------------------------------------------------------- load + receiver


def command_body(response_url: str) -> bytes:
    """`/nova now` from the benchmark's person, as Slack's form."""
    from tests.support.slack_requests import encode_form, slash_command_form

    form = slash_command_form(text="now", user_id=USER, response_url=response_url)
    return encode_form(form)


async def load(
    port: int, requests: int, concurrency: int, expected: str, max_wait: float, quiet: float
) -> dict[str, Any]:
    """Send `requests` signed commands with `concurrency` connections; time every answer.

    Request i carries the response_url `/r/i` of this process's own receiver. After the
    last acknowledgement, waits (at most `max_wait` seconds) for every answer still due
    at a response_url, then `quiet` seconds more to catch anything posted twice.
    """
    import aiohttp
    from aiohttp import web

    from tests.support.slack_requests import sign

    clock = time.perf_counter
    arrived: dict[int, float] = {}
    posted: dict[int, int] = {}
    wrong_posts = 0

    async def receive(request: web.Request) -> web.Response:
        nonlocal wrong_posts
        n = int(request.match_info["n"])
        body = await request.json()
        posted[n] = posted.get(n, 0) + 1
        if expected in json.dumps(body, ensure_ascii=False):
            arrived.setdefault(n, clock())
        else:
            wrong_posts += 1
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/r/{n}", receive)
    runner = web.AppRunner(receiver, access_log=None)
    await runner.setup()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        receiver_port = int(sock.getsockname()[1])
    site = web.TCPSite(runner, "127.0.0.1", receiver_port)
    await site.start()

    bodies = [command_body(f"http://127.0.0.1:{receiver_port}/r/{i}") for i in range(requests)]
    target = f"http://127.0.0.1:{port}/slack/events"
    sent = [0.0] * requests
    acked = [0.0] * requests
    outcome = [""] * requests
    statuses: dict[str, int] = {}
    cursor = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:

        async def worker() -> None:
            for i in cursor:
                body = bodies[i]
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    **sign(body, SECRET),
                }
                sent[i] = clock()
                try:
                    async with session.post(target, data=body, headers=headers) as response:
                        data = await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    acked[i], outcome[i] = clock(), "error"
                    statuses["error"] = statuses.get("error", 0) + 1
                    continue
                acked[i] = clock()
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                text = data.decode("utf-8", "replace")
                if status == 503:
                    outcome[i] = "refused"
                elif status != 200:
                    outcome[i] = "error"
                elif not data:
                    outcome[i] = "url"
                elif BUSY_MARK in text and expected not in text:
                    outcome[i] = "refused"
                elif expected in text:
                    outcome[i] = "ack"
                else:
                    outcome[i] = "error"

        begin = clock()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        load_end = clock()
    waiting = [i for i in range(requests) if outcome[i] == "url"]
    deadline = load_end + max_wait
    while any(i not in arrived for i in waiting) and clock() < deadline:
        await asyncio.sleep(0.005)
    await asyncio.sleep(quiet)
    await runner.cleanup()

    answers: list[float] = []
    lost_late_ack = lost_never = 0
    last = load_end
    for i in range(requests):
        ack_ms = (acked[i] - sent[i]) * 1000
        if outcome[i] == "ack":
            if ack_ms > SLACK_ACK_LIMIT_MS:
                lost_late_ack += 1
            else:
                answers.append(ack_ms)
        elif outcome[i] == "url":
            if ack_ms > SLACK_ACK_LIMIT_MS or i not in arrived:
                lost_never += ack_ms <= SLACK_ACK_LIMIT_MS
                lost_late_ack += ack_ms > SLACK_ACK_LIMIT_MS
                continue
            answers.append((arrived[i] - sent[i]) * 1000)
            last = max(last, arrived[i])
    return {
        "requests": requests,
        "answers": len(answers),
        "latencies_ms": answers,
        "in_ack": outcome.count("ack"),
        "at_url": sum(1 for i in waiting if i in arrived),
        "refused": outcome.count("refused"),
        "errors": outcome.count("error") + wrong_posts,
        "lost_late_ack": lost_late_ack,
        "lost_never": lost_never,
        "duplicates": sum(n - 1 for n in posted.values() if n > 1),
        "seconds": last - begin,
        "drain_s": last - load_end,
        "statuses": statuses,
    }


def run_load(port: int, requests: int, concurrency: int, expected: str, max_wait: float) -> None:
    """The load process: print the figures of one round as JSON."""
    figures = asyncio.run(load(port, requests, concurrency, expected, max_wait, quiet=0.5))
    print(json.dumps(figures))


# ---------------------------------------------------------------------- orchestration


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child(*argv: str) -> list[str]:
    """The command line running this module with `argv`."""
    return [sys.executable, "-m", "bench.http_bench", *argv]


def child_env() -> dict[str, str]:
    """This process's environment with the project on the path."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Block until something accepts connections on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def round_of(
    port: int, name: str, requests: int, concurrency: int, max_wait: float = 15.0
) -> dict[str, Any]:
    """One round of load against `port`, in a separate process."""
    out = subprocess.run(
        child("load", str(port), str(requests), str(concurrency), EXPECTED[name], str(max_wait)),
        cwd=ROOT,
        env=child_env(),
        check=True,
        capture_output=True,
    ).stdout
    figures: dict[str, Any] = json.loads(out)
    return figures


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss(pid: int) -> int:
    """A process's resident set size in bytes (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class PeakRss:
    """Samples a process's RSS every 50 ms in a thread, keeping the highest."""

    def __init__(self, pid: int) -> None:
        """Watch `pid` once started."""
        self.pid = pid
        self.peak = rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss(self.pid))

    def __enter__(self) -> PeakRss:
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile of `samples` (nearest rank); 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def summarise(rounds: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Answers per second over all rounds, latency quantiles over all answers, counts summed."""
    latencies = [x for r in rounds for x in r["latencies_ms"]]
    seconds = sum(r["seconds"] for r in rounds)
    total = {
        key: float(sum(r[key] for r in rounds))
        for key in (
            "requests",
            "answers",
            "in_ack",
            "at_url",
            "refused",
            "errors",
            "lost_late_ack",
            "lost_never",
            "duplicates",
        )
    }
    return {
        **total,
        "lost": total["lost_late_ack"] + total["lost_never"],
        "aps": total["answers"] / seconds if seconds else 0.0,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "mean": statistics.fmean(latencies) if latencies else 0.0,
        "drain": max(r["drain_s"] for r in rounds),
        "cpu_ms": 1000 * sum(r.get("cpu", 0.0) for r in rounds) / max(total["requests"], 1),
    }


def levels(text: str) -> list[int]:
    """Concurrency levels from "16,64"."""
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from exc
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError(f"connection counts must be at least 1: {text!r}")
    return found


def main(argv: list[str]) -> None:
    """Start the fake Slack and both servers, alternate rounds, then overload; print the tables."""
    if argv and argv[0] in ("serve-bare", "serve-summit", "seed", "load"):
        internal(argv)
        return
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_bench",
        description="summit-bot against a bare Bolt app over HTTP, counting answers delivered.",
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests per round and server")
    parser.add_argument(
        "--concurrency",
        type=levels,
        default=[16, 64],
        help="connections sending at once; a comma-separated list runs each level (default 16,64)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server and level")
    parser.add_argument("--warmup", type=int, default=500, help="unmeasured requests per server")
    parser.add_argument("--overload", type=int, default=256, help="connections of the overload run")
    parser.add_argument(
        "--overload-requests", type=int, default=6000, help="requests of the overload run"
    )
    parser.add_argument(
        "--settle", type=float, default=3.0, help="seconds after the overload before RSS is read"
    )
    args = parser.parse_args(argv)

    from tests.support.fake_slack import FakeSlack

    rows: dict[int, dict[str, dict[str, float]]] = {}
    overload: dict[str, dict[str, float]] = {}
    memory: dict[str, dict[str, int]] = {}
    with (
        FakeSlack(users={USER: {"tz": "Europe/Paris"}}) as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        database_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        subprocess.run(child("seed", database_url), cwd=ROOT, env=child_env(), check=True)
        ports = {"bare": free_port(), "summit-bot": free_port()}
        servers = {
            "bare": subprocess.Popen(
                child("serve-bare", str(ports["bare"]), slack.api_url), cwd=ROOT, env=child_env()
            ),
            "summit-bot": subprocess.Popen(
                child("serve-summit", str(ports["summit-bot"]), slack.api_url, database_url),
                cwd=ROOT,
                env=child_env(),
            ),
        }
        try:
            for name, process in servers.items():
                wait_listening(ports[name], process)
            for name in servers:
                round_of(ports[name], name, args.warmup, max(args.concurrency))
            for concurrency in args.concurrency:
                results: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
                for _ in range(args.rounds):
                    for name, process in servers.items():
                        cpu = cpu_seconds(process.pid)
                        figures = round_of(ports[name], name, args.requests, concurrency)
                        figures["cpu"] = cpu_seconds(process.pid) - cpu
                        results[name].append(figures)
                rows[concurrency] = {name: summarise(r) for name, r in results.items()}
            for name, process in servers.items():
                before = rss(process.pid)
                cpu = cpu_seconds(process.pid)
                with PeakRss(process.pid) as peak:
                    figures = round_of(
                        ports[name], name, args.overload_requests, args.overload, max_wait=30
                    )
                    figures["cpu"] = cpu_seconds(process.pid) - cpu
                    time.sleep(args.settle)
                overload[name] = summarise([figures])
                memory[name] = {"before": before, "peak": peak.peak, "after": rss(process.pid)}
        finally:
            for process in servers.values():
                process.terminate()
            for process in servers.values():
                process.wait(timeout=15)
    report(rows, overload, memory, args)


def report(
    rows: dict[int, dict[str, dict[str, float]]],
    overload: dict[str, dict[str, float]],
    memory: dict[str, dict[str, int]],
    args: argparse.Namespace,
) -> None:
    """Print the tables and the ratios against the goals."""
    print(
        f"/nova now over HTTP, answers counted where they arrive (ack body or response_url) · "
        f"{args.rounds} rounds x {args.requests} requests per server and level, alternating · "
        f"{os.cpu_count()} CPUs"
    )
    head = (
        f"{'conn':>4}  {'server':<11}{'answers/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'drain s':>8}"
        f"{'in ack':>8}{'at url':>8}{'refused':>8}{'lost':>6}{'errors':>7}{'CPU ms':>7}"
    )
    print(head)
    for concurrency, figures in rows.items():
        bare, summit = figures["bare"], figures["summit-bot"]
        aps_ratio = summit["aps"] / bare["aps"] if bare["aps"] else 0.0
        p99_ratio = summit["p99"] / bare["p99"] if bare["p99"] else 0.0
        verdict = (
            f"answers/s {aps_ratio:.2f} x ({'met' if aps_ratio >= 0.85 else 'NOT met'}), "
            f"p99 {p99_ratio:.2f} x ({'met' if p99_ratio <= 2 else 'NOT met'}), "
            f"drain {'met' if summit['drain'] <= 1 else 'NOT met'}, "
            f"lost {'met' if summit['lost'] == 0 else 'NOT met'}"
        )
        for name, f in figures.items():
            print(line(concurrency, name, f) + (f"   {verdict}" if name == "summit-bot" else ""))
    print("goals: answers/s >= 0.85 x bare, p99 <= 2 x bare, drain <= 1 s, 0 lost")
    print()
    print(f"overload: {args.overload} connections, {args.overload_requests} requests per server")
    print(head + f"{'RSS before':>12}{'peak':>7}{'after':>7} MiB")
    for name, f in overload.items():
        m = memory[name]
        print(
            line(args.overload, name, f)
            + f"{m['before'] / MIB:>12.0f}{m['peak'] / MIB:>7.0f}{m['after'] / MIB:>7.0f}"
        )
    summit, m = overload["summit-bot"], memory["summit-bot"]
    back = (m["after"] - m["before"]) / MIB
    print(
        f"summit-bot: accepted-then-lost {summit['lost']:.0f} "
        f"({'met' if summit['lost'] == 0 else 'NOT met'}), refused {summit['refused']:.0f}, "
        f"RSS after - before {back:+.1f} MiB ({'met' if back <= 30 else 'NOT met'})"
    )


def line(concurrency: int, name: str, f: dict[str, float]) -> str:
    """One row of a table."""
    return (
        f"{concurrency:>4}  {name:<11}{f['aps']:>10.0f}{f['p50']:>8.1f}{f['p99']:>8.1f}"
        f"{f['drain']:>8.2f}{f['in_ack']:>8.0f}{f['at_url']:>8.0f}{f['refused']:>8.0f}"
        f"{f['lost']:>6.0f}{f['errors']:>7.0f}{f['cpu_ms']:>7.2f}"
    )


def internal(argv: list[str]) -> None:
    """The subprocess entry points: the two servers, the seeding and the load."""
    name, rest = argv[0], argv[1:]
    if name == "serve-bare":
        serve_bare(int(rest[0]), rest[1])
    elif name == "serve-summit":
        serve_summit(int(rest[0]), rest[1], rest[2])
    elif name == "seed":
        seed(rest[0])
    else:
        run_load(int(rest[0]), int(rest[1]), int(rest[2]), rest[3], float(rest[4]))


if __name__ == "__main__":
    main(sys.argv[1:])
