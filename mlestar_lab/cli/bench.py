"""`mlestar bench TASKS_DIR --answers ANSWERS_DIR`: the agent against LightGBM and FLAML.

Every flag is checked, and every answers folder read, before the first run starts: a typo must
cost seconds, not the hour a bench takes. Progress goes to stderr, the final table to stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import signal
import sys
from pathlib import Path
from types import FrameType

from mlestar_lab.agent.config import parse_duration
from mlestar_lab.bench.baselines import SYSTEMS
from mlestar_lab.bench.report import render_markdown
from mlestar_lab.bench.runner import BenchError, BenchSettings, run_bench, select_tasks

_NEEDS = {"flaml": ("flaml", "xgboost"), "plot": ("matplotlib",)}


def add_bench_parser(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser(
        "bench", help="run the agent, LightGBM and FLAML on tasks with hidden answers and compare"
    )
    bench.add_argument("tasks_dir", help="folder of competition folders, one per task")
    bench.add_argument("--answers", required=True, help="folder holding <task>/answers.csv and task.json")
    bench.add_argument("--time-budget", default="5m", help="per task, for the agent and for FLAML (e.g. 5m)")
    bench.add_argument(
        "--baselines", default="lgbm,flaml", help="comma-separated: lgbm, flaml (empty: the agent alone)"
    )
    bench.add_argument("--tasks", default="", help="comma-separated task names (default: all with answers)")
    bench.add_argument("--out", default="bench-results", help="results folder (default ./bench-results)")
    bench.add_argument("--seed", type=int, default=42)
    bench.add_argument("--workers", type=int, help="the agent's notebooks at once (default: cores)")


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


def settings_from_args(args: argparse.Namespace, argv: list[str]) -> BenchSettings:
    baselines = _names(args.baselines)
    unknown = [name for name in baselines if name not in SYSTEMS]
    if unknown:
        raise BenchError(
            f"unknown baseline {', '.join(unknown)} in --baselines; choose from {', '.join(SYSTEMS)}"
        )
    if args.workers is not None and args.workers < 1:
        raise BenchError(f"--workers {args.workers}: give at least 1")
    return BenchSettings(
        tasks_dir=Path(args.tasks_dir).expanduser().resolve(),
        answers_dir=Path(args.answers).expanduser().resolve(),
        out=Path(args.out).expanduser().resolve(),
        budget=parse_duration(args.time_budget),
        baselines=baselines,
        seed=args.seed,
        command=shlex.join(["mlestar", *argv]),
        tasks=_names(args.tasks),
        workers=args.workers,
    )


def _check_installed(baselines: tuple[str, ...]) -> None:
    modules = [*_NEEDS["plot"], *(_NEEDS["flaml"] if "flaml" in baselines else ())]
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise BenchError(f"the bench needs {', '.join(missing)}: pip install -e '.[bench]'")


def run_bench_command(args: argparse.Namespace, argv: list[str]) -> int:
    settings = settings_from_args(args, argv)
    _check_installed(settings.baselines)
    tasks = select_tasks(settings)

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        results = run_bench(settings, tasks, say=lambda line: print(f"bench: {line}", file=sys.stderr))
    except KeyboardInterrupt:
        print(f"bench interrupted; the tasks finished so far are in {settings.out}", file=sys.stderr)
        return 130
    print(render_markdown(results))
    print(f"results in {settings.out}", file=sys.stderr)
    return 0
