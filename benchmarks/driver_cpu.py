"""CPU the executor spends per notebook, outside the notebook's own code, and what a driver kept
alive across notebooks would save.

    python benchmarks/driver_cpu.py [--notebooks 8]

Runs N one-line notebooks three ways and reports the machine's CPU seconds per notebook (from
/proc/stat, so the kernels and workers that are not our children count too; run it on an
otherwise idle machine): through the pool with spares (warm), through the pool without (cold), and
from one process that calls papermill for each notebook, each in a fresh kernel (what a worker
kept alive across notebooks would cost). On two busy cores this per-notebook CPU is what keeps
2 workers from being twice as fast as 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.executor.pool import ExecutorPool
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.notebook.candidate import Block, new_notebook

SETTLE_SECONDS = 3.0  # spares started by the last notebooks finish starting, and are counted


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot (all but idle and iowait)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def measure(
    name: str, count: int, run_all: Callable[[list[ExecutionRequest]], list[ExecutionResult]], work: Path
) -> float:
    notebook = work / "one-line.ipynb"
    write_notebook(new_notebook([Block("x", "x", "x = 1")], {"OUTPUT_DIR": "."}), notebook)
    requests = [
        ExecutionRequest(notebook_path=str(notebook), output_dir=str(work / f"{name}-{i}"))
        for i in range(count)
    ]
    cpu, started = machine_cpu_seconds(), time.monotonic()
    results = run_all(requests)
    wall = time.monotonic() - started
    time.sleep(SETTLE_SECONDS)
    failed = [r.reason for r in results if r.status != "ok"]
    if failed:
        raise RuntimeError(f"{name}: notebooks failed: {failed[:2]}")
    per_notebook = (machine_cpu_seconds() - cpu) / count
    print(f"{name:>28}: {per_notebook:.2f} s CPU per notebook, {wall / count:.2f} s wall per notebook")
    return per_notebook


def in_one_process(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    from mlestar_lab.executor import worker

    worker._skip_slow_imports()  # as every worker does before importing papermill
    from mlestar_lab.executor.papermill_run import run

    results = []
    for request in requests:
        Path(request.output_dir).mkdir(parents=True, exist_ok=True)
        results.append(run(request))
    return results


def through_pool(warm: bool) -> Callable[[list[ExecutionRequest]], list[ExecutionResult]]:
    def run_all(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
        with ExecutorPool(workers=1, warm=warm) as pool:
            return pool.map(requests)

    return run_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=8)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mlestar-driver-cpu-") as tmp:
        work = Path(tmp)
        warm = measure("pool, spares (warm)", args.notebooks, through_pool(True), work)
        cold = measure("pool, no spares (cold)", args.notebooks, through_pool(False), work)
        kept = measure("one driver, fresh kernels", args.notebooks, in_one_process, work)
    print(
        f"a driver kept alive would save {cold - kept:.2f} s CPU per notebook against cold, "
        f"{warm - kept:.2f} s against warm"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
