"""HTTP mode under load: a bare Bolt app against summit-bot, side by side in one run.

Both servers are uvicorn + Starlette + Bolt's AsyncSlackRequestHandler, one worker each,
in their own subprocess on 127.0.0.1. The bare app acks `/nova` with a constant string;
summit-bot is the real `serve --http` app answering `/nova now` for a person with
bookmarks (so their state is looked up) and posting the answer to the response_url.
A fake Slack (tests/support/fake_slack.py, in this process) takes those posts and the
Web API calls of both. A separate load process (aiohttp client, fixed concurrency, fixed
number of requests) sends the same signed slash command to each server in turn,
alternating rounds, and measures the time to the HTTP acknowledgement.

    python -m bench http
    python bench/http_bench.py --requests 2000 --concurrency 4,16 --rounds 3

Targets: summit-bot's requests/s at least 0.85 x the bare app's; p99 at most 2 x.
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
USES_PER_URL = 5


# ---------------------------------------------------------------------- servers


def serve_bare(port: int, api_url: str) -> None:
    """A bare AsyncApp acking `/nova` with a constant string, served like summit-bot."""
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


# ---------------------------------------------------------------------- load


def command_body(response_url: str) -> bytes:
    """`/nova now` from the benchmark's person, as Slack's form."""
    from tests.support.slack_requests import encode_form, slash_command_form

    form = slash_command_form(text="now", user_id=USER, response_url=response_url)
    return encode_form(form)


async def load(port: int, urls: Sequence[str], requests: int, concurrency: int) -> dict[str, Any]:
    """Send `requests` signed commands with `concurrency` in flight; latencies in ms.

    Request i carries response URL `urls[i // 5]`: the fake Slack takes five posts per URL.
    """
    import aiohttp

    from tests.support.slack_requests import sign

    bodies = [command_body(urls[i // USES_PER_URL]) for i in range(requests)]
    target = f"http://127.0.0.1:{port}/slack/events"
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cursor = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for i in cursor:
                body = bodies[i]
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    **sign(body, SECRET),
                }
                begin = time.perf_counter()
                async with session.post(target, data=body, headers=headers) as response:
                    await response.read()
                latencies.append((time.perf_counter() - begin) * 1000)
                statuses[response.status] = statuses.get(response.status, 0) + 1

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - begin
    return {"seconds": seconds, "latencies_ms": latencies, "statuses": statuses}


def run_load(port: int, urls_file: Path, first: int, requests: int, concurrency: int) -> None:
    """The load process: print the figures of one round (from response URL `first`) as JSON."""
    urls = json.loads(urls_file.read_text())[first:]
    print(json.dumps(asyncio.run(load(port, urls, requests, concurrency))))


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


def urls_for(requests: int) -> int:
    """How many response URLs `requests` commands use."""
    return -(-requests // USES_PER_URL)


def round_of(
    port: int, urls_file: Path, first: int, requests: int, concurrency: int
) -> dict[str, Any]:
    """One round of load against `port`, in a separate process, from response URL `first`."""
    out = subprocess.run(
        child("load", str(port), str(urls_file), str(first), str(requests), str(concurrency)),
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


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile of `samples` (nearest rank)."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def summarise(rounds: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Requests per second over all rounds, and latency quantiles over all requests."""
    latencies = [x for r in rounds for x in r["latencies_ms"]]
    seconds = sum(r["seconds"] for r in rounds)
    failed = sum(n for r in rounds for s, n in r["statuses"].items() if s != "200")
    return {
        "requests": float(len(latencies)),
        "rps": len(latencies) / seconds,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "mean": statistics.fmean(latencies),
        "failed": float(failed),
        "cpu_ms": 1000 * sum(r.get("cpu", 0.0) for r in rounds) / len(latencies),
    }


def levels(text: str) -> list[int]:
    """Concurrency levels from "4,8,16"."""
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from exc
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError(f"concurrency levels must be at least 1: {text!r}")
    return found


def main(argv: list[str]) -> None:
    """Start the fake Slack and both servers, alternate rounds of load, print the table."""
    if argv and argv[0] in ("serve-bare", "serve-summit", "seed", "load"):
        internal(argv)
        return
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_bench",
        description="A bare Bolt app against summit-bot over HTTP, side by side.",
    )
    parser.add_argument("--requests", type=int, default=1000, help="requests per round and server")
    parser.add_argument(
        "--concurrency",
        type=levels,
        default=[4, 8, 16],
        help="requests in flight at once; a comma-separated list runs each level (default 4,8,16)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server and level")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests per server")
    args = parser.parse_args(argv)

    from tests.support.fake_slack import FakeSlack

    rows: dict[int, dict[str, dict[str, float]]] = {}
    with (
        FakeSlack(users={USER: {"tz": "Europe/Paris"}}) as slack,
        tempfile.TemporaryDirectory() as tmp,
    ):
        database_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        subprocess.run(child("seed", database_url), cwd=ROOT, env=child_env(), check=True)
        runs = len(args.concurrency) * args.rounds
        urls_file = Path(tmp) / "urls.json"
        count = urls_for(args.warmup) + runs * urls_for(args.requests)
        urls_file.write_text(json.dumps([slack.new_response_url() for _ in range(count)]))
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
                round_of(ports[name], urls_file, 0, args.warmup, max(args.concurrency))
            slack.wait_response(count=args.warmup, timeout=60)
            slack.reset()
            run = 0
            for concurrency in args.concurrency:
                results: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
                for _ in range(args.rounds):
                    first = urls_for(args.warmup) + run * urls_for(args.requests)
                    run += 1
                    for name, process in servers.items():
                        cpu = cpu_seconds(process.pid)
                        figures = round_of(
                            ports[name], urls_file, first, args.requests, concurrency
                        )
                        figures["cpu"] = cpu_seconds(process.pid) - cpu
                        results[name].append(figures)
                rows[concurrency] = {name: summarise(r) for name, r in results.items()}
            expected = runs * args.requests
            posted = len(slack.wait_response(count=expected, timeout=120))
            broken = len(slack.server_errors)
        finally:
            for process in servers.values():
                process.terminate()
            for process in servers.values():
                process.wait(timeout=15)
    report(rows, args, posted, expected, broken)


def report(
    rows: dict[int, dict[str, dict[str, float]]],
    args: argparse.Namespace,
    posted: int,
    expected: int,
    broken: int,
) -> None:
    """Print the table and the ratios against the targets."""
    print(
        f"/nova now over HTTP · per server and level: {args.rounds} rounds x {args.requests} "
        f"requests, alternating · {os.cpu_count()} CPUs"
    )
    print(
        f"{'conc':>4}  {'server':<11}{'req/s':>7}{'p50 ms':>8}{'p99 ms':>8}{'mean ms':>9}"
        f"{'CPU ms/req':>11}{'non-200':>8}   summit-bot / bare"
    )
    for concurrency, figures in rows.items():
        bare, summit = figures["bare"], figures["summit-bot"]
        rps_ratio = summit["rps"] / bare["rps"]
        p99_ratio = summit["p99"] / bare["p99"]
        verdict = (
            f"req/s {rps_ratio:.2f} ({'met' if rps_ratio >= 0.85 else 'NOT met'}), "
            f"p99 {p99_ratio:.2f} ({'met' if p99_ratio <= 2 else 'NOT met'})"
        )
        for name, f in figures.items():
            print(
                f"{concurrency:>4}  {name:<11}{f['rps']:>7.0f}{f['p50']:>8.1f}{f['p99']:>8.1f}"
                f"{f['mean']:>9.1f}{f['cpu_ms']:>11.2f}{f['failed']:>8.0f}"
                + (f"   {verdict}" if name == "summit-bot" else "")
            )
    print("targets: summit-bot req/s >= 0.85 x bare, p99 <= 2 x bare")
    print(f"response_url posts received by the fake Slack: {posted}/{expected}, errors: {broken}")


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
        run_load(int(rest[0]), Path(rest[1]), int(rest[2]), int(rest[3]), int(rest[4]))


if __name__ == "__main__":
    main(sys.argv[1:])
