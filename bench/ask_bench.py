"""Start-up cost: `summit-bot --help` and `summit-bot ask` against a bare `python -c pass`.

The three commands run interleaved (pass, --help, ask, pass, ...) so that a busy machine
weighs on them alike; the figures are medians, and the ratios are those of the medians.
The project's bytecode is compiled first, as an installed package has it (and as the
first run writes it, unless PYTHONDONTWRITEBYTECODE is set); `--no-compile` measures
without it, recompiling the project's sources in every run.
Goals: `--help` ≤ 5 x and `ask` ≤ 10 x the bare interpreter's wall time.

    python -m bench ask
    python bench/ask_bench.py --runs 30
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"--help": 5.0, "ask": 10.0}


def run_once(command: list[str], env: dict[str, str], cwd: str) -> float:
    """Seconds one process takes from start to exit."""
    begin = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - begin


def main(argv: list[str]) -> None:
    """Run the three commands interleaved on a warm database; print medians and ratios."""
    parser = argparse.ArgumentParser(prog="python -m bench ask")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--no-compile", action="store_true", help="leave the project's bytecode as it is"
    )
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    if not args.no_compile:
        for package in ("bot", "schedule"):
            compileall.compile_dir(root / package, quiet=1)
    entry = shutil.which("summit-bot", path=str(Path(sys.executable).parent)) or "summit-bot"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "--help": [entry, "--help"],
        "ask": [entry, "ask", "--at", "2013-11-05 11:20", "/nova now"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/bench.db"}
        for command in commands.values():
            run_once(command, env, folder)  # creates and migrates the database once
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(run_once(command, env, folder))
    bare = statistics.median(times["python -c pass"])
    bytecode = "left as it is" if args.no_compile else "compiled first"
    print(f"runs={args.runs} each, interleaved; {os.cpu_count()} CPUs; project bytecode {bytecode}")
    for name, samples in times.items():
        median = statistics.median(samples)
        line = f"  {name:<16} median {median * 1000:6.0f} ms   best {min(samples) * 1000:6.0f} ms"
        if name in GOALS:
            ratio = median / bare
            verdict = "met" if ratio <= GOALS[name] else "NOT met"
            line += f"   {ratio:5.1f} x bare (goal ≤ {GOALS[name]:.0f} x: {verdict})"
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
