"""One baseline in a child process, under a hard wall-clock limit.

    python -m mlestar_lab.bench.baseline_worker {lgbm,flaml} TASK_DIR OUT_DIR [--seed --budget --n-jobs]

The child writes `submission.csv` and `result.json` into OUT_DIR and its output into `worker.log`.
The parent (`run_baseline`) waits at most the hard limit, then kills the child's whole process
tree: a FLAML search that overruns, hangs or crashes becomes an error row with the reason, never
a dead bench. Grading happens in the parent, so the child never sees the hidden answers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlestar_lab.bench.baselines import run_flaml, run_lgbm
from mlestar_lab.bench.prepare import prepare
from mlestar_lab.executor.tree import ProcessTree
from mlestar_lab.fsutil import atomic_write_json, atomic_write_text

RESULT_FILE = "result.json"
SUBMISSION_FILE = "submission.csv"
LOG_FILE = "worker.log"
FLAML_LOG = "flaml.log"
_ERROR_CHARS = 300


@dataclass
class BaselineRun:
    """A finished (or failed) baseline as the parent saw it; `seconds` is the child's wall time."""

    system: str
    seconds: float
    val_score: float | None = None
    submission: str | None = None
    curve: list[tuple[float, float]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def hard_limit(budget: float) -> float:
    """The child's wall-clock limit: FLAML's own budget plus room for its final refit and imports."""
    return budget * 1.5 + 120.0


def worker_command(
    system: str, task_dir: Path, out_dir: Path, seed: int, budget: float, n_jobs: int
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlestar_lab.bench.baseline_worker",
        system,
        str(task_dir),
        str(out_dir),
        f"--seed={seed}",
        f"--budget={budget}",
        f"--n-jobs={n_jobs}",
    ]


def run_baseline(system: str, command: list[str], out_dir: Path, limit: float) -> BaselineRun:
    """Run `command` (see `worker_command`) with a hard limit; read back what it wrote."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (RESULT_FILE, SUBMISSION_FILE, FLAML_LOG):
        (out_dir / stale).unlink(missing_ok=True)
    started = time.perf_counter()
    with open(out_dir / LOG_FILE, "w", encoding="utf-8") as log:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        tree = ProcessTree(child.pid)
        try:
            code = child.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            tree.kill()
            child.wait()
            seconds = time.perf_counter() - started
            return BaselineRun(system, seconds, error=f"killed at the hard limit of {limit:.0f} s")
        except BaseException:
            tree.kill()
            child.wait()
            raise
    seconds = time.perf_counter() - started
    if code != 0:
        how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        return BaselineRun(system, seconds, error=f"{system} worker {how}: {_last_line(out_dir / LOG_FILE)}")
    if not (out_dir / RESULT_FILE).is_file():
        return BaselineRun(system, seconds, error=f"{system} worker exited without writing {RESULT_FILE}")
    result = json.loads((out_dir / RESULT_FILE).read_text(encoding="utf-8"))
    return BaselineRun(
        system,
        seconds,
        val_score=result["val_score"],
        submission=str(out_dir / SUBMISSION_FILE),
        curve=[(float(t), float(s)) for t, s in result["curve"]],
        info={**result["info"], "fit_seconds": result["fit_seconds"]},
    )


def _last_line(path: Path) -> str:
    lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    text = next((line for line in reversed(lines) if line), "no output")
    return text[:_ERROR_CHARS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="baseline_worker", description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=("lgbm", "flaml"))
    parser.add_argument("task_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--budget", type=float, default=300.0)
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    prepared = prepare(args.task_dir)
    if args.system == "lgbm":
        output = run_lgbm(prepared, args.seed, args.n_jobs)
    else:
        output = run_flaml(prepared, args.seed, args.n_jobs, args.budget, args.out_dir / FLAML_LOG)
    atomic_write_text(args.out_dir / SUBMISSION_FILE, output.submission.to_csv(index=False))
    atomic_write_json(
        args.out_dir / RESULT_FILE,
        {
            "val_score": output.val_score,
            "fit_seconds": output.fit_seconds,
            "curve": output.curve,
            "info": output.info,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
