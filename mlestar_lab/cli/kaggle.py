"""`mlestar kaggle download|pull|push|status|submit`: Kaggle in and out from the terminal.

Thin: each command builds a `KaggleSession` (credentials resolved first, the `kaggle` package
imported only when a call is made), calls `mlestar_lab.kaggle`, prints what happened. `pull`
then runs the new run like `mlestar run` unless `--no-run`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mlestar_lab.store.models import StepRecord
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace


def add_kaggle_parser(commands: Any, add_run_options: Any) -> None:
    kaggle = commands.add_parser(
        "kaggle", help="download competitions, import notebooks, push kernels, submit"
    )
    actions = kaggle.add_subparsers(dest="kaggle_command", required=True)

    download = actions.add_parser("download", help="a competition's files and metadata as a task folder")
    download.add_argument("competition", help="the competition's name (slug) or URL")
    download.add_argument("--dir", help="target folder (default: ./COMPETITION)")
    download.add_argument("--force", action="store_true", help="replace files of an existing folder")

    pull = actions.add_parser("pull", help="a public notebook as an initial candidate of a new run")
    pull.add_argument("kernel", help="OWNER/KERNEL or its URL")
    pull.add_argument("--task", help="task folder (default: download the kernel's competition)")
    pull.add_argument("--score-variable", help="variable holding the notebook's validation score")
    pull.add_argument("--no-run", action="store_true", help="create the run without starting it")
    add_run_options(pull)

    push = actions.add_parser("push", help="the run's final solution as a Kaggle kernel")
    push.add_argument("run_id")
    visibility = push.add_mutually_exclusive_group()
    visibility.add_argument("--private", dest="public", action="store_false", default=False)
    visibility.add_argument("--public", dest="public", action="store_true")
    push.add_argument("--gpu", action="store_true", help="run the kernel with a GPU")
    push.add_argument("--step", type=int, help="push this solution instead of the submitted one")
    push.add_argument("--competition", help="competition, when the task folder was not downloaded")

    status = actions.add_parser("status", help="how the run's kernel and submission are doing on Kaggle")
    status.add_argument("run_id")

    submit = actions.add_parser("submit", help="upload the run's submission.csv to its competition")
    submit.add_argument("run_id")
    submit.add_argument("--message", help="the submission's description")
    submit.add_argument("--competition", help="competition, when the task folder was not downloaded")


def run_kaggle_command(args: argparse.Namespace, workspace: Workspace, store: RunStore) -> int:
    from mlestar_lab.kaggle.client import KaggleSession

    command = args.kaggle_command
    session = KaggleSession()
    if command == "download":
        from mlestar_lab.kaggle.download import competition_slug, download_competition

        target = Path(args.dir) if args.dir else Path.cwd() / competition_slug(args.competition)
        result = download_competition(session, args.competition, target, force=args.force)
        print(f"{result.competition.title}: {len(result.files)} files in {result.task_dir}")
        print(
            f"metric: {result.competition.metric or 'unsupported'} "
            f"(Kaggle: {result.competition.evaluation_metric})"
        )
        for problem in result.problems:
            print(f"warning: {problem}", file=sys.stderr)
        return 0
    if command == "pull":
        return _pull(args, session, workspace, store)
    run = store.find_run(args.run_id)
    if command == "push":
        from mlestar_lab.kaggle.push import PushOptions, push_kernel

        options = PushOptions(
            public=args.public, gpu=args.gpu, step_id=args.step, competition=args.competition
        )
        _print_step(push_kernel(session, store, run, options))
    elif command == "status":
        from mlestar_lab.kaggle.status import follow

        status = follow(session, store, run)
        for step in (status.kernel, status.submission):
            if step is not None:
                _print_step(step)
    else:
        from mlestar_lab.kaggle.submit import submit_run

        _print_step(submit_run(session, store, run, args.message, args.competition))
    return 0


def _pull(args: argparse.Namespace, session: Any, workspace: Workspace, store: RunStore) -> int:
    from mlestar_lab.cli import main
    from mlestar_lab.kaggle.pull import pull_kernel

    result = pull_kernel(
        session,
        workspace,
        store,
        args.kernel,
        main.config_from_args(args),
        Path(args.task) if args.task else None,
        Path.cwd(),
        args.score_variable,
    )
    print(
        f"run {result.run.id}: {args.kernel} imported as blocks {', '.join(result.imported.blocks)}",
        file=sys.stderr,
    )
    for note in result.imported.rewrites:
        print(f"  path {note}", file=sys.stderr)
    for warning in result.imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.no_run:
        print(f"start it with `mlestar resume {result.run.id}`", file=sys.stderr)
        return 0
    return main._execute(workspace, store, result.run, quiet=args.quiet)


def _print_step(step: StepRecord) -> None:
    print(step.title)
    print(json.dumps(step.info, indent=2, default=str))
