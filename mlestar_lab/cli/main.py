"""`mlestar`: run, resume, list and inspect MLE-STAR runs from the terminal.

Handlers are thin: parse flags, call the shared Python API (`mlestar_lab.agent.lifecycle`,
`mlestar_lab.report`), print. Every `UserError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from mlestar_lab.agent.config import RunConfig, parse_duration, parse_gates
from mlestar_lab.agent.lifecycle import create_run, ensure_resumable, execute_run
from mlestar_lab.cli.bench import add_bench_parser, run_bench_command
from mlestar_lab.cli.decide import COMMANDS as DECISION_COMMANDS
from mlestar_lab.cli.decide import add_decision_parsers, run_decision_command
from mlestar_lab.cli.kaggle import add_kaggle_parser, run_kaggle_command
from mlestar_lab.cli.progress import Progress
from mlestar_lab.cli.show import render_report, render_runs
from mlestar_lab.errors import UserError
from mlestar_lab.report import run_report
from mlestar_lab.store.models import GATES, RunRecord
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace

TASK_FLAGS = ("target", "id_column", "metric", "task_type", "n_folds", "group_column", "time_column")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlestar", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workspace",
        help="folder for the run store and run folders (default: $MLESTAR_HOME or ./mlestar-runs)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the agent on a competition folder")
    run.add_argument("task_dir")
    _add_run_options(run)
    for flag in TASK_FLAGS:
        run.add_argument(f"--{flag.replace('_', '-')}", dest=flag, help=f"override the inferred {flag}")

    demo = commands.add_parser("demo", help="run the agent on the bundled demo competition")
    _add_run_options(demo, default_budget="2m")

    resume = commands.add_parser("resume", help="continue an interrupted run from its last finished step")
    resume.add_argument("run_id")
    resume.add_argument("--quiet", action="store_true")

    commands.add_parser("runs", help="list runs")
    show = commands.add_parser("show", help="stages, steps, ablations, refinements, ensembles of a run")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="print the report as JSON")
    add_bench_parser(commands)
    add_decision_parsers(commands)
    add_kaggle_parser(commands, _add_run_options)
    return parser


def _add_run_options(parser: argparse.ArgumentParser, default_budget: str = "10m") -> None:
    parser.add_argument(
        "--time-budget", default=default_budget, help="wall clock for the whole run, e.g. 10m"
    )
    parser.add_argument("--workers", type=int, help="notebooks executed at once (default: number of cores)")
    parser.add_argument(
        "--strategist",
        default="offline",
        help="who decides: offline (default, no key), gemini (GEMINI_API_KEY) or openai (OPENAI_API_KEY, "
        "OPENAI_BASE_URL for Ollama, vLLM, llama.cpp)",
    )
    parser.add_argument("--model", help="model name for LLM strategists, e.g. gemini-2.5-pro")
    parser.add_argument("--max-tokens", type=int, help="cap on the run's model tokens")
    parser.add_argument("--max-cost", type=float, help="cap on the run's estimated model cost in US dollars")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--models", type=int, help="M: model families retrieved (default 4)")
    parser.add_argument("--outer-steps", type=int, help="T: ablation/refinement rounds (default 4)")
    parser.add_argument("--inner-steps", type=int, help="K: plans per chosen block (default 4)")
    parser.add_argument("--ensemble-rounds", type=int, help="R: ensemble strategies (default 5)")
    parser.add_argument("--notebook-timeout", help="limit per notebook, e.g. 5m (default 30m)")
    parser.add_argument("--memory-limit", type=int, help="MiB per notebook (default: share of RAM)")
    parser.add_argument("--quiet", action="store_true", help="no live progress")
    parser.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="where notebooks run: local processes (default) or a Dask distributed cluster",
    )
    parser.add_argument(
        "--scheduler", help="the Dask scheduler for --executor dask, e.g. tcp://10.0.0.5:8786"
    )
    parser.add_argument(
        "--dask-data",
        choices=("auto", "ship", "shared"),
        default="auto",
        help="task data for Dask workers: read in place (shared), ship it, or auto (default)",
    )
    parser.add_argument(
        "--gates",
        default="auto",
        help=f"where to wait for your decision: ask, auto or e.g. ablation=ask ({', '.join(GATES)})",
    )


def config_from_args(args: argparse.Namespace) -> RunConfig:
    values: dict[str, object] = {
        "strategist": args.strategist,
        "model": args.model,
        "seed": args.seed,
        "time_budget": parse_duration(args.time_budget),
    }
    if args.max_tokens is not None:
        values["max_tokens"] = args.max_tokens
    if args.max_cost is not None:
        values["max_cost_usd"] = args.max_cost
    for name in ("workers", "models", "outer_steps", "inner_steps", "ensemble_rounds"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.notebook_timeout:
        values["notebook_timeout"] = parse_duration(args.notebook_timeout)
    if args.memory_limit is not None:
        values["memory_limit_mb"] = args.memory_limit
    values["gates"] = parse_gates(args.gates)
    if args.executor == "dask" and not args.scheduler:
        raise UserError("--executor dask needs the scheduler's address: --scheduler tcp://HOST:PORT")
    if args.executor != "dask" and args.scheduler:
        raise UserError("--scheduler is for the Dask executor; add --executor dask")
    if args.executor == "dask" and args.workers is not None:
        raise UserError(
            "with --executor dask the cluster decides how many notebooks run at once: drop --workers"
        )
    values.update(executor=args.executor, scheduler=args.scheduler, dask_data=args.dask_data)
    values["task_overrides"] = {f: getattr(args, f) for f in TASK_FLAGS if getattr(args, f, None) is not None}
    try:
        return RunConfig.model_validate(values)
    except ValueError as exc:
        raise UserError(f"invalid option: {exc.errors()[0]['loc'][0]} {exc.errors()[0]['msg']}") from exc


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    workspace = Workspace(Path(args.workspace) if args.workspace else None)
    try:
        if args.command == "bench":
            return run_bench_command(args, sys.argv[1:] if argv is None else argv)
        store = workspace.open_store()
        return _dispatch(args, workspace, store)
    except UserError as exc:
        print(f"mlestar: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `mlestar show RUN | head`: the reader left; say nothing more, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _dispatch(args: argparse.Namespace, workspace: Workspace, store: RunStore) -> int:
    if args.command == "runs":
        print(render_runs(store.list_runs()))
        return 0
    if args.command == "show":
        report = run_report(store, store.find_run(args.run_id).id)
        print(json.dumps(report, indent=2, default=str) if args.json else render_report(report))
        return 0
    if args.command in DECISION_COMMANDS:
        return run_decision_command(args, store)
    if args.command == "kaggle":
        return run_kaggle_command(args, workspace, store)
    if args.command == "resume":
        run = ensure_resumable(store.find_run(args.run_id))
    else:
        task_dir = args.task_dir if args.command == "run" else _demo_task(workspace)
        run = create_run(workspace, store, task_dir, config_from_args(args))
        print(
            f"run {run.id}: {run.task_name}, metric {run.metric}, budget {run.budget_seconds:.0f}s",
            file=sys.stderr,
        )
    return _execute(workspace, store, run, quiet=args.quiet)


def _demo_task(workspace: Workspace) -> Path:
    from mlestar_lab.demo.competition import build_demo_task

    return build_demo_task(workspace.root / "demo-competition")


def _execute(workspace: Workspace, store: RunStore, run: RunRecord, quiet: bool) -> int:
    cancel = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    if quiet:
        final = execute_run(workspace, store, run.id, cancel)
    else:
        with Progress(store, run.id):
            final = execute_run(workspace, store, run.id, cancel)
    print(render_report(run_report(store, final.id)))
    if final.status == "interrupted":
        print(f"\nrun interrupted — continue it with `mlestar resume {final.id}`", file=sys.stderr)
        return 130
    if final.status != "finished":
        print(f"\nrun {final.status}: {final.error}", file=sys.stderr)
        return 1
    return 0
