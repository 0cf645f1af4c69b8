"""The executor runs real notebooks in real processes; one small notebook per outcome."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import psutil
import pytest

from mlestar_lab.executor.limits import child_environment, data_limit_mb
from mlestar_lab.executor.models import LOG_FILE, ExecutionRequest
from mlestar_lab.executor.pool import ExecutorPool
from mlestar_lab.executor.process import REQUEST_FILE, ExecutionRequestError, execute
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.notebook.candidate import Block, block_name, new_notebook

WAIT_SECONDS = 30.0


def make_request(tmp_path: Path, name: str, blocks: dict[str, str], **fields: object) -> ExecutionRequest:
    """A candidate notebook with one block per entry, and a request to run it into tmp_path/name."""
    nb = new_notebook(
        [Block(name=block, kind=block, source=textwrap.dedent(code)) for block, code in blocks.items()],
        {"OUTPUT_DIR": ".", "SEED": 0},
    )
    path = tmp_path / f"{name}.ipynb"
    write_notebook(nb, path)
    return ExecutionRequest(notebook_path=str(path), output_dir=str(tmp_path / name), **fields)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# Written then renamed, so the test never reads a file that exists but is still empty.
WRITE_PIDS = """
import os
with open(os.path.join(OUTPUT_DIR, "pids.json.tmp"), "w") as handle:
    handle.write('{"kernel": %d, "worker": %d}' % (os.getpid(), os.getppid()))
os.replace(os.path.join(OUTPUT_DIR, "pids.json.tmp"), os.path.join(OUTPUT_DIR, "pids.json"))
"""


def read_pids(output_dir: str) -> dict[str, int]:
    path = Path(output_dir) / "pids.json"
    wait_for(path.exists, "the notebook to write its pids")
    return json.loads(path.read_text())


def test_ok_run_finds_score_files_and_injects_parameters(tmp_path: Path) -> None:
    request = make_request(
        tmp_path,
        "ok",
        {
            "predict": """
                import os
                rows = "id,target\\n1,0.25\\n2,0.75\\n"
                for name in ("submission.csv", "oof_predictions.csv", "test_predictions.csv"):
                    with open(os.path.join(OUTPUT_DIR, name), "w") as handle:
                        handle.write(rows)
                print("cwd:", os.getcwd())
                print("seed:", SEED)
                """,
            "score": """
                print("Final Validation Performance: 0.1")
                print("Final Validation Performance: 0.8125")
                """,
        },
        parameters={"SEED": 7},
    )
    result = execute(request)

    assert result.status == "ok", result.reason
    assert result.reason is None and result.error is None
    assert result.score == 0.8125
    out = Path(request.output_dir).resolve()
    assert result.submission_path == str(out / "submission.csv")
    assert result.oof_path == str(out / "oof_predictions.csv")
    assert result.test_predictions_path == str(out / "test_predictions.csv")
    assert result.executed_notebook == str(out / "executed.ipynb")
    assert f"cwd: {out}" in result.stdout_tail and "seed: 7" in result.stdout_tail
    assert result.runtime > 0 and result.peak_memory_mb is not None and result.peak_memory_mb > 0

    executed = nbformat.read(result.executed_notebook, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert f'OUTPUT_DIR = "{out}"' in injected[0].source and "SEED = 7" in injected[0].source
    score_cell = next(c for c in executed.cells if block_name(c) == "score")
    assert "0.8125" in "".join(o.get("text", "") for o in score_cell.outputs)


def test_cell_error_names_cell_block_and_exception(tmp_path: Path) -> None:
    request = make_request(
        tmp_path,
        "error",
        {
            "load": "x = 1",
            "features": "raise ValueError('column price is missing')",
            "train": "print('never reached')",
        },
    )
    result = execute(request)

    assert result.status == "error"
    assert result.error is not None
    executed = nbformat.read(result.executed_notebook, as_version=4)
    # Cells: parameters, injected parameters, load, features, train (papermill's error banners aside).
    assert result.error.cell_index == 3
    assert result.error.block == "features"
    assert result.error.ename == "ValueError"
    assert result.error.evalue == "column price is missing"
    assert "raise ValueError" in result.error.traceback and "\x1b[" not in result.error.traceback
    assert result.reason == "ValueError: column price is missing in block 'features' (cell 3)"
    assert result.score is None
    train = next(c for c in executed.cells if block_name(c) == "train")
    assert train.outputs == []


def test_timeout_kills_the_whole_tree(tmp_path: Path) -> None:
    """The limit leaves a loaded machine time to start the kernel, so the loop is what it stops."""
    request = make_request(
        tmp_path, "timeout", {"pids": WRITE_PIDS, "loop": "while True:\n    pass"}, timeout=8
    )
    result = execute(request)

    assert result.status == "timeout"
    assert result.reason == "exceeded the 8 s time limit in block 'loop' (cell 3)"
    assert result.error is not None and result.error.block == "loop"
    assert result.executed_notebook is not None and Path(result.executed_notebook).is_file()
    pids = read_pids(request.output_dir)
    assert gone(pids["kernel"]) and gone(pids["worker"])


def test_memory_beyond_limit_is_killed(tmp_path: Path) -> None:
    grow = """
        import time
        import numpy as np
        chunks = []
        for _ in range(40):  # 2 GiB in 50 MiB steps
            chunks.append(np.ones(50 * 2**20 // 8))
            time.sleep(0.05)
        """
    request = make_request(tmp_path, "oom", {"pids": WRITE_PIDS, "grow": grow}, memory_limit_mb=400)
    result = execute(request)

    assert result.status == "killed"
    assert result.reason is not None and result.reason.startswith("out of memory: used ")
    assert "limit 400 MiB in block 'grow'" in result.reason
    assert result.peak_memory_mb is not None and result.peak_memory_mb > 400
    pids = read_pids(request.output_dir)
    assert gone(pids["kernel"])


def test_data_limit_keeps_numerical_libraries_working(tmp_path: Path) -> None:
    fit = """
        import resource
        import numpy as np
        import pandas as pd
        import lightgbm as lgb
        from sklearn.linear_model import Ridge
        rng = np.random.default_rng(SEED)
        X = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
        y = X["a"] * 2 + rng.normal(size=300)
        lgb.LGBMRegressor(n_estimators=20, verbose=-1).fit(X, y)
        Ridge().fit(X, y)
        print("data limit MiB:", resource.getrlimit(resource.RLIMIT_DATA)[0] // 2**20)
        """
    request = make_request(tmp_path, "libs", {"fit": fit}, memory_limit_mb=500, env={"OMP_NUM_THREADS": "1"})
    result = execute(request)

    assert result.status == "ok", result.reason
    assert f"data limit MiB: {data_limit_mb(500, 1)}" in result.stdout_tail


def test_allocation_beyond_the_data_limit_is_a_memory_error(tmp_path: Path) -> None:
    # An untouched np.empty stays out of RSS, so only the RLIMIT_DATA backstop can refuse it.
    size_mb = data_limit_mb(300, 1) + 256
    request = make_request(
        tmp_path,
        "memerr",
        {"alloc": f"import numpy as np\nbig = np.empty({size_mb} * 2**20, dtype=np.uint8)"},
        memory_limit_mb=300,
        env={"OMP_NUM_THREADS": "1"},
    )
    result = execute(request)

    assert result.status == "killed"
    assert result.reason == "out of memory: MemoryError in block 'alloc' (cell 2)"
    assert result.error is not None and result.error.ename == "MemoryError"


def test_kernel_killed_by_signal(tmp_path: Path) -> None:
    request = make_request(
        tmp_path, "sigkill", {"suicide": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"}
    )
    result = execute(request)

    assert result.status == "killed"
    assert result.reason == "killed by signal SIGKILL in block 'suicide' (cell 2)"
    assert result.error is not None and result.error.ename == "DeadKernelError"
    assert result.executed_notebook is not None


def test_worker_killed_by_signal(tmp_path: Path) -> None:
    request = make_request(
        tmp_path, "worker", {"pids": WRITE_PIDS, "patricide": "import os\nos.kill(os.getppid(), 9)"}
    )
    result = execute(request)

    assert result.status == "killed"
    assert result.reason == "killed by signal SIGKILL in block 'patricide' (cell 3)"
    assert gone(read_pids(request.output_dir)["kernel"])


def test_no_score_line_is_ok_without_score_and_stale_outputs_are_cleared(tmp_path: Path) -> None:
    request = make_request(tmp_path, "noscore", {"work": "print('trained, forgot to report')"})
    Path(request.output_dir).mkdir()
    (Path(request.output_dir) / "submission.csv").write_text("id,target\n1,0\n")
    result = execute(request)

    assert result.status == "ok"
    assert result.score is None
    assert result.submission_path is None
    assert "forgot to report" in result.stdout_tail


def test_secrets_never_reach_the_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-do-not-leak-4242"
    monkeypatch.setenv("GEMINI_API_KEY", secret)
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("MY_SERVICE_TOKEN", secret)
    monkeypatch.setenv("HARMLESS_SETTING", "visible")
    dump = """
        import json, os
        print(json.dumps(dict(os.environ)))
        with open(os.path.join(OUTPUT_DIR, "env.json"), "w") as handle:
            json.dump(dict(os.environ), handle)
        """
    request = make_request(tmp_path, "secrets", {"dump": dump}, env={"EXTRA_SETTING": "1"})
    result = execute(request)

    assert result.status == "ok", result.reason
    seen = json.loads((Path(request.output_dir) / "env.json").read_text())
    for name in ("GEMINI_API_KEY", "KAGGLE_USERNAME", "MY_SERVICE_TOKEN"):
        assert name not in seen
    assert seen["HARMLESS_SETTING"] == "visible" and seen["EXTRA_SETTING"] == "1"
    assert seen["OMP_NUM_THREADS"] == seen["OPENBLAS_NUM_THREADS"] == seen["MKL_NUM_THREADS"]
    assert seen["OMP_WAIT_POLICY"] == "PASSIVE"
    for written in (result.executed_notebook, Path(request.output_dir) / LOG_FILE):
        assert secret not in Path(written).read_text()


def test_waiting_openmp_threads_sleep_unless_the_user_chose_otherwise() -> None:
    assert child_environment({}, 2, base={})["OMP_WAIT_POLICY"] == "PASSIVE"
    assert child_environment({}, 2, base={"OMP_WAIT_POLICY": "ACTIVE"})["OMP_WAIT_POLICY"] == "ACTIVE"
    assert child_environment({"OMP_WAIT_POLICY": "ACTIVE"}, 2, base={})["OMP_WAIT_POLICY"] == "ACTIVE"


def test_request_env_with_a_secret_is_refused(tmp_path: Path) -> None:
    request = make_request(tmp_path, "refused", {"x": "pass"}, env={"OPENAI_API_KEY": "sk-1"})
    with pytest.raises(ExecutionRequestError, match="OPENAI_API_KEY"):
        execute(request)
    assert not (Path(request.output_dir) / REQUEST_FILE).exists()


def test_missing_notebook_is_refused(tmp_path: Path) -> None:
    request = ExecutionRequest(notebook_path=str(tmp_path / "nope.ipynb"), output_dir=str(tmp_path / "out"))
    with pytest.raises(ExecutionRequestError, match="notebook not found"):
        execute(request)


def test_unknown_kernel_is_an_error_with_reason(tmp_path: Path) -> None:
    request = make_request(tmp_path, "kernel", {"x": "pass"}, kernel_name="no-such-kernel")
    result = execute(request)

    assert result.status == "error"
    assert result.reason is not None and "no-such-kernel" in result.reason


def test_worker_crash_reports_its_log(tmp_path: Path) -> None:
    request = make_request(tmp_path, "crash", {"x": "pass"}, env={"PYTHONHOME": str(tmp_path / "no-python")})
    result = execute(request)

    assert result.status == "error"
    assert result.reason is not None
    assert result.reason.startswith("the executor worker exited with code 1 without a result: ")
    assert "No module named 'encodings'" in result.reason


def test_pool_runs_notebooks_concurrently(tmp_path: Path) -> None:
    # Each notebook waits for the other to start, so both must be running at the same time.
    rendezvous = """
        import json, os, time
        here = os.path.join(OUTPUT_DIR, "started")
        other = os.path.join(os.path.dirname(OUTPUT_DIR), PARTNER, "started")
        started = time.time()  # taken before the file exists, which the partner may see at once
        with open(here, "w") as handle:
            handle.write(repr(started))
        deadline = time.time() + 20
        while not os.path.exists(other) and time.time() < deadline:
            time.sleep(0.02)
        with open(os.path.join(OUTPUT_DIR, "span.json"), "w") as handle:
            span = {"start": float(open(here).read()), "end": time.time()}
            json.dump({**span, "threads": os.environ["OMP_NUM_THREADS"]}, handle)
        """
    first = make_request(tmp_path, "a", {"meet": rendezvous}, parameters={"PARTNER": "b"})
    second = make_request(tmp_path, "b", {"meet": rendezvous}, parameters={"PARTNER": "a"})
    with ExecutorPool(workers=2) as pool:
        results = pool.map([first, second])

    assert [r.status for r in results] == ["ok", "ok"]
    assert [Path(r.executed_notebook).parent.name for r in results] == ["a", "b"]
    spans = [json.loads((Path(r.output_dir) / "span.json").read_text()) for r in (first, second)]
    assert max(s["start"] for s in spans) < min(s["end"] for s in spans)
    assert {s["threads"] for s in spans} == {str(max(1, (os.cpu_count() or 1) // 2))}


def test_cancel_all_kills_a_running_notebook(tmp_path: Path) -> None:
    request = make_request(
        tmp_path, "cancel", {"pids": WRITE_PIDS, "loop": "while True:\n    pass"}, timeout=120
    )
    with ExecutorPool(workers=1) as pool:
        future = pool.submit(request)
        pids = read_pids(request.output_dir)
        pool.cancel_all()
        result = future.result(timeout=WAIT_SECONDS)

    assert result.status == "killed" and result.reason == "cancelled"
    assert gone(pids["kernel"]) and gone(pids["worker"])


def test_killing_the_agent_leaves_no_orphans(tmp_path: Path) -> None:
    request = make_request(
        tmp_path, "orphans", {"pids": WRITE_PIDS, "loop": "while True:\n    pass"}, timeout=120
    )
    agent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from mlestar_lab.executor.models import ExecutionRequest;"
            "from mlestar_lab.executor.process import execute;"
            "execute(ExecutionRequest.model_validate_json(sys.argv[1]))",
            request.model_dump_json(),
        ]
    )
    try:
        pids = read_pids(request.output_dir)
    finally:
        agent.send_signal(signal.SIGKILL)
        agent.wait()

    wait_for(lambda: gone(pids["worker"]), "the worker to die with its parent")
    wait_for(lambda: gone(pids["kernel"]), "the kernel to die with its worker")
