"""Executor benchmark: what running a candidate as a notebook costs, and what parallel workers buy.

    python benchmarks/bench_executor.py [--target-seconds 10] [--pairs 3] [--candidates 8]

Three measurements, each taken as interleaved side-by-side runs so that whatever else the machine
does hits both sides alike, and reported as ratios with the load average next to them:

1. a typical candidate (CSV load, 5-fold LightGBM, predictions written) as a notebook through the
   executor (warm: a spare worker started ahead; cold: a worker started on demand) against the same
   code as a plain `python` script;
2. the fixed cost of one notebook: a one-line notebook against the same line as a script;
3. N independent candidates through a pool with 1 worker (all threads, then 1 thread) and with 2;
4. two runs at once: the candidate twice side by side with all threads each, OpenMP's waiting
   threads passive (as notebooks get them) against the runtime's default spinning.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from mlestar_lab.executor.limits import WAIT_POLICY, child_environment
from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.executor.pool import ExecutorPool
from mlestar_lab.executor.process import execute
from mlestar_lab.fsutil import atomic_write_text, write_notebook
from mlestar_lab.notebook.candidate import Block, new_notebook

BLOCKS = {
    "load": """
        import os
        import numpy as np
        import pandas as pd
        import lightgbm as lgb
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold
        train = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
        test = pd.read_csv(os.path.join(DATA_DIR, "test.csv"))
        features = [c for c in train.columns if c.startswith("f")]
        """,
    "train": """
        oof = np.zeros(len(train))
        test_pred = np.zeros(len(test))
        folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
        for fit_rows, valid_rows in folds.split(train, train["target"]):
            model = lgb.LGBMClassifier(n_estimators=ROUNDS, learning_rate=0.03, num_leaves=63,
                                       n_jobs=N_JOBS, random_state=SEED, verbose=-1)
            model.fit(train.loc[fit_rows, features], train.loc[fit_rows, "target"])
            oof[valid_rows] = model.predict_proba(train.loc[valid_rows, features])[:, 1]
            test_pred += model.predict_proba(test[features])[:, 1] / 5
        """,
    "predict": """
        oof_frame = pd.DataFrame({"id": train["id"], "target": oof})
        oof_frame.to_csv(os.path.join(OUTPUT_DIR, "oof_predictions.csv"), index=False)
        test_frame = pd.DataFrame({"id": test["id"], "target": test_pred})
        test_frame.to_csv(os.path.join(OUTPUT_DIR, "test_predictions.csv"), index=False)
        test_frame.to_csv(os.path.join(OUTPUT_DIR, "submission.csv"), index=False)
        print("Final Validation Performance:", roc_auc_score(train["target"], oof))
        """,
}
TRIVIAL = {"main": "x = 1"}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def make_data(folder: Path, rows: int = 20_000, columns: int = 20) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", rows), ("test", rows // 4)):
        x = rng.normal(size=(n, columns))
        frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(columns)])
        frame.insert(0, "id", np.arange(n))
        if name == "train":
            logit = x[:, 0] - 0.5 * x[:, 1] * x[:, 2] + np.sin(x[:, 3]) + rng.normal(scale=1.0, size=n)
            frame["target"] = (logit > 0).astype(int)
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


class Candidate:
    """One candidate's code, as a notebook and as a script, with its parameters.

    N_JOBS is the thread count of the run, as the agent passes it: a notebook that asked for all
    cores while another runs beside it would measure oversubscription, not the executor.
    """

    def __init__(
        self, folder: Path, name: str, blocks: dict[str, str], parameters: dict[str, object]
    ) -> None:
        self.folder = folder
        self.parameters = parameters
        code = {block: textwrap.dedent(source).strip() + "\n" for block, source in blocks.items()}
        self.notebook = folder / f"{name}.ipynb"
        write_notebook(new_notebook([Block(b, b, c) for b, c in code.items()], parameters), self.notebook)
        self.script = folder / f"{name}.py"
        self.name = name
        self._code = "\n".join(code.values())

    def run_script(self, output_dir: Path, threads: int) -> float:
        """Seconds for `python script.py`, parameters assigned at the top (as papermill would)."""
        started = time.monotonic()
        finish(self.start_script(output_dir, threads))
        return time.monotonic() - started

    def start_script(
        self, output_dir: Path, threads: int, wait_policy: str | None = WAIT_POLICY[1]
    ) -> subprocess.Popen[bytes]:
        """The script started with the environment a notebook gets; `wait_policy=None` leaves
        OMP_WAIT_POLICY unset (the OpenMP runtime's own default)."""
        output_dir.mkdir(parents=True, exist_ok=True)
        script = output_dir / self.script.name
        header = "".join(
            f"{k} = {v!r}\n"
            for k, v in {**self.parameters, "N_JOBS": threads, "OUTPUT_DIR": str(output_dir)}.items()
        )
        atomic_write_text(script, header + self._code)
        env = child_environment({"OMP_NUM_THREADS": str(threads)}, default_threads=threads)
        if wait_policy is None:
            env.pop(WAIT_POLICY[0], None)
        else:
            env[WAIT_POLICY[0]] = wait_policy
        # A session of its own, like every notebook worker: with the kernel's autogroup scheduling
        # a session is a scheduling group, and both sides must compete for the CPU alike.
        return subprocess.Popen(
            [sys.executable, str(script)],
            cwd=output_dir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def request(self, output_dir: Path, threads: int) -> ExecutionRequest:
        return ExecutionRequest(
            notebook_path=str(self.notebook),
            output_dir=str(output_dir),
            parameters={**self.parameters, "N_JOBS": threads},
            env={"OMP_NUM_THREADS": str(threads)},
            timeout=3600,
        )


def finish(process: subprocess.Popen[bytes]) -> None:
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"benchmark script failed: {stderr.decode(errors='replace')[-2000:]}")


def timed_notebook(run: Callable[[], ExecutionResult], outside: list[float]) -> float:
    """Wall seconds of one notebook; appends the part spent outside its cells to `outside`.

    The cells' own durations (papermill records them) are what the script also spends, so wall
    minus cells is the executor's cost even when load makes the code itself slower or faster.
    """
    started = time.monotonic()
    result = run()
    wall = time.monotonic() - started
    if result.status != "ok" or result.executed_notebook is None:
        raise RuntimeError(f"benchmark notebook failed: {result.reason}")
    cells = nbformat.read(result.executed_notebook, as_version=4).cells
    outside.append(wall - sum(cell.metadata.get("papermill", {}).get("duration") or 0.0 for cell in cells))
    return wall


def side_by_side(candidate: Candidate, pairs: int, threads: int, work: Path) -> dict[str, object]:
    """Script, warm notebook, cold notebook, rotated each round; ratios per round, then medians."""
    rows: list[dict[str, float]] = []
    outside: dict[str, list[float]] = {"warm": [], "cold": []}
    with ExecutorPool(workers=1) as pool:
        # A first notebook starts the pool's spare; it is not measured.
        pool.submit(candidate.request(work / f"{candidate.name}-prime", threads)).result()
        sides: dict[str, Callable[[int], float]] = {
            "script": lambda i: candidate.run_script(work / f"{candidate.name}-script-{i}", threads),
            "warm": lambda i: timed_notebook(
                lambda: pool.submit(candidate.request(work / f"{candidate.name}-warm-{i}", threads)).result(),
                outside["warm"],
            ),
            "cold": lambda i: timed_notebook(
                lambda: execute(candidate.request(work / f"{candidate.name}-cold-{i}", threads)),
                outside["cold"],
            ),
        }
        order = list(sides)
        for i in range(pairs):
            times = {}
            for side in order[i % 3 :] + order[: i % 3]:
                # Let the pool's spare finish starting, as it does while an agent thinks.
                time.sleep(2.0)
                times[side] = sides[side](i)
            rows.append(times)
            print(
                f"  round {i + 1}: "
                + ", ".join(f"{k} {v:.2f}s" for k, v in times.items())
                + f" | load {load()}"
            )
    return {
        "rounds": rows,
        "median_seconds": {side: statistics.median(r[side] for r in rows) for side in sides},
        "ratio_warm": statistics.median(r["warm"] / r["script"] for r in rows),
        "ratio_cold": statistics.median(r["cold"] / r["script"] for r in rows),
        "overhead_warm": statistics.median(r["warm"] - r["script"] for r in rows),
        "overhead_cold": statistics.median(r["cold"] - r["script"] for r in rows),
        "outside_cells": {side: statistics.median(values) for side, values in outside.items()},
    }


def throughput(candidate: Candidate, count: int, rounds: int, work: Path) -> dict[str, object]:
    """`count` candidates through a pool of 1 worker (all cores' threads each, as `--workers 1`
    gives them; and 1 thread each) and of 2 workers (1 thread each); order rotated per round.

    2 workers against 1 worker at 1 thread is the executor's parallel efficiency; against 1
    worker at all threads it is what a user gains over `--workers 1`.
    """
    cpus = os.cpu_count() or 1
    sides = {"1 worker": (1, cpus), "1 worker 1 thread": (1, 1), "2 workers": (2, 1)}
    names = list(sides)
    rows: list[dict[str, float]] = []
    for i in range(rounds):
        times = {}
        for name in names[i % 3 :] + names[: i % 3]:
            workers, threads = sides[name]
            with ExecutorPool(workers=workers) as pool:
                requests = [
                    candidate.request(work / f"tp-{i}-{workers}-{threads}-{j}", threads) for j in range(count)
                ]
                started = time.monotonic()
                results = pool.map(requests)
                times[name] = time.monotonic() - started
            failed = [r.reason for r in results if r.status != "ok"]
            if failed:
                raise RuntimeError(f"benchmark notebooks failed: {failed[:2]}")
        rows.append(times)
        print(
            "  round "
            + str(i + 1)
            + ": "
            + ", ".join(f"{k} {v:.1f}s" for k, v in times.items())
            + f" | load {load()}"
        )
    return {
        "rounds": rows,
        "speedup": statistics.median(r["1 worker 1 thread"] / r["2 workers"] for r in rows),
        "speedup_over_threads": statistics.median(r["1 worker"] / r["2 workers"] for r in rows),
    }


def contention(candidate: Candidate, rounds: int, threads: int, work: Path, cap: float) -> dict[str, object]:
    """Two runs at once, each giving its candidate every core (as two 1-worker runs do): the
    candidate twice side by side, waiting OpenMP threads passive (what notebooks get) against the
    runtime's default spin-then-sleep; sides alternate first each round. A pair still running after
    `cap` seconds is killed and counted as `cap`, so the slow-down reported is a lower bound."""
    rows: list[dict[str, float]] = []
    capped = 0
    sides = {"passive": WAIT_POLICY[1], "default": None}
    for i in range(rounds):
        times = {}
        for side in list(sides) if i % 2 == 0 else list(sides)[::-1]:
            started = time.monotonic()
            pair = [
                candidate.start_script(work / f"pair-{i}-{side}-{j}", threads, sides[side]) for j in range(2)
            ]
            if not finish_within(pair, started + cap):
                capped += 1
            times[side] = min(time.monotonic() - started, cap)
        rows.append(times)
        passive, default = times["passive"], times["default"]
        print(f"  round {i + 1}: passive {passive:.1f}s, default {default:.1f}s | load {load()}")
    return {
        "rounds": rows,
        "cap_seconds": cap,
        "capped_pairs": capped,
        "slowdown_default": statistics.median(r["default"] / r["passive"] for r in rows),
    }


def finish_within(processes: list[subprocess.Popen[bytes]], deadline: float) -> bool:
    """Wait for every process until `deadline`; False (all of them killed) when it passed."""
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
                other.communicate()
            return False
    for process in processes:
        finish(process)
    return True


PROBE_ROUNDS = 300


def calibrate(work: Path, base: dict[str, object], threads: int) -> Callable[[float], int]:
    """Boosting rounds for a script runtime: time grows about linearly with rounds beyond the fixed
    import and load cost, measured here with 1 and PROBE_ROUNDS rounds (best of two each)."""
    seconds = {}
    for rounds in (1, PROBE_ROUNDS):
        probe = Candidate(work, f"probe{rounds}", BLOCKS, {**base, "ROUNDS": rounds})
        seconds[rounds] = min(probe.run_script(work / f"probe{rounds}-{i}", threads) for i in range(2))
    per_round = (seconds[PROBE_ROUNDS] - seconds[1]) / (PROBE_ROUNDS - 1)
    print(f"calibration: 1 round {seconds[1]:.2f}s, {PROBE_ROUNDS} rounds {seconds[PROBE_ROUNDS]:.2f}s")
    if per_round <= 0:
        raise RuntimeError("calibration failed (the machine is too busy to time boosting rounds); retry")

    def rounds_for(target: float) -> int:
        return max(1, round((target - seconds[1]) / per_round))

    return rounds_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target-seconds", type=float, default=10.0, help="script runtime of the typical candidate"
    )
    parser.add_argument("--pairs", type=int, default=3, help="interleaved script/notebook rounds")
    parser.add_argument("--candidates", type=int, default=8, help="candidates in the throughput test")
    parser.add_argument(
        "--throughput-seconds", type=float, default=5.0, help="script runtime of each of them"
    )
    parser.add_argument("--throughput-rounds", type=int, default=3)
    parser.add_argument(
        "--contention-cap", type=float, default=120.0, help="seconds after which a pair in [4] is stopped"
    )
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    cpus = os.cpu_count() or 1
    print(f"python {sys.version.split()[0]}, {cpus} cores, load {load()} (1, 5, 15 min)")
    with tempfile.TemporaryDirectory(prefix="mlestar-bench-executor-") as tmp:
        work = Path(tmp)
        data = make_data(work / "data")
        base = {"DATA_DIR": str(data), "SEED": 0}
        rounds_for = calibrate(work, base, cpus)
        typical = Candidate(work, "typical", BLOCKS, {**base, "ROUNDS": rounds_for(args.target_seconds)})
        trivial = Candidate(work, "trivial", TRIVIAL, {"SEED": 0})
        print(
            f"\n[1] typical candidate ({typical.parameters['ROUNDS']} rounds), "
            f"notebook vs script, {cpus} threads"
        )
        overhead = side_by_side(typical, args.pairs, cpus, work)
        print(f"\n[2] fixed cost of one notebook (one-line notebook vs one-line script), {cpus} threads")
        fixed_cost = side_by_side(trivial, args.pairs, cpus, work)
        small = Candidate(work, "small", BLOCKS, {**base, "ROUNDS": rounds_for(args.throughput_seconds)})
        print(
            f"\n[3] {args.candidates} candidates ({small.parameters['ROUNDS']} rounds each), 1 vs 2 workers"
        )
        scale = throughput(small, args.candidates, args.throughput_rounds, work)
        print(f"\n[4] two runs at once: 2 candidates side by side, {cpus} threads each")
        clash = contention(small, args.throughput_rounds, cpus, work, args.contention_cap)
    report = {
        "cores": cpus,
        "typical": overhead,
        "fixed": fixed_cost,
        "throughput": scale,
        "contention": clash,
        "load_end": load(),
    }
    med = overhead["median_seconds"]
    print("\n== results (medians of interleaved rounds) ==")
    print(
        f"typical candidate: script {med['script']:.2f}s, "
        f"notebook warm {med['warm']:.2f}s, cold {med['cold']:.2f}s"
    )
    print(
        f"  overhead ratio notebook/script: warm {overhead['ratio_warm']:.3f}, "
        f"cold {overhead['ratio_cold']:.3f}"
    )
    print(
        f"fixed cost per notebook: warm {fixed_cost['overhead_warm']:.2f}s, "
        f"cold {fixed_cost['overhead_cold']:.2f}s"
        f" (one-line notebook minus one-line script)"
    )
    out = overhead["outside_cells"]
    print(
        f"  time outside the cells (load-robust): warm {out['warm']:.2f}s, cold {out['cold']:.2f}s"
        f" = {out['warm'] / med['script']:.1%} / {out['cold'] / med['script']:.1%} of the script time"
    )
    print(
        f"throughput, {args.candidates} candidates: 2 workers are {scale['speedup']:.2f}x faster than 1 "
        f"(1 thread each), {scale['speedup_over_threads']:.2f}x faster than 1 worker with {cpus} threads"
    )
    bound = (
        f" (at least: {clash['capped_pairs']} pair(s) stopped at the cap)" if clash["capped_pairs"] else ""
    )
    print(
        f"two runs at once: with the OpenMP default wait the pair takes "
        f"{clash['slowdown_default']:.2f}x as long as with passive waiting{bound}"
    )
    print(f"load at the end: {load()}")
    if args.out:
        atomic_write_text(args.out, json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
