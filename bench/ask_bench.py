"""The `summit-bot ask` one-shot as a whole process (target ≤ 0.5 s)."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(command: list[str], env: dict[str, str], cwd: str) -> float:
    """Seconds one process takes from start to exit."""
    begin = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - begin


def main(argv: list[str]) -> None:
    """Run `ask` several times on a warm database and print median and worst wall time."""
    parser = argparse.ArgumentParser(prog="python -m bench ask")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    entry = shutil.which("summit-bot", path=str(Path(sys.executable).parent)) or "summit-bot"
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/bench.db"}
        command = [entry, "ask", "--at", "2013-11-05 11:20", "/nova now"]
        bare = [sys.executable, "-c", "pass"]
        run_once(command, env, folder)
        asks = [run_once(command, env, folder) for _ in range(args.runs)]
        pythons = [run_once(bare, env, folder) for _ in range(args.runs)]
    median = statistics.median(asks)
    print(f"runs={args.runs}")
    print(f"  ask median   {median * 1000:6.0f} ms   worst {max(asks) * 1000:6.0f} ms")
    print(f"  bare python  {statistics.median(pythons) * 1000:6.0f} ms (interpreter start alone)")
    print(f"  target ≤ 500 ms: {'met' if median <= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main(sys.argv[1:])
