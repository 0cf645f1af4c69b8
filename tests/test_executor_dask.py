"""The Dask backend on a real `LocalCluster` with worker processes: shipping, shared storage,
a worker killed under a candidate (one retry, then failure), and a whole run on the cluster."""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run, execute_run
from mlestar_lab.cli.main import main as cli_main
from mlestar_lab.client.lab import Lab
from mlestar_lab.executor.models import ExecutionRequest
from mlestar_lab.executor.remote.dask_executor import DaskExecutor
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.notebook.candidate import Block, new_notebook
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace

distributed = pytest.importorskip("distributed")

WAIT_SECONDS = 120.0
WORKER_MODULE = "mlestar_lab.executor.worker"

READ_DATA = """
import os
import pandas as pd
frame = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
frame.to_csv(os.path.join(OUTPUT_DIR, "submission.csv"), index=False)
print("DATA_DIR is", DATA_DIR)
print("Final Validation Performance:", frame["a"].sum())
"""

# The first start of this notebook hangs (until its worker is killed); a later start finishes.
HANG_ON_FIRST_START = """
import os, time
flag = os.path.join(OUTPUT_DIR, "started-once.flag")
first = not os.path.exists(flag)
open(flag, "w").close()
with open(os.path.join(OUTPUT_DIR, "pid.txt"), "w") as handle:
    handle.write(str(os.getppid()))
while first or ALWAYS_HANG:
    time.sleep(0.2)
print("Final Validation Performance: 1.0")
"""


def local_cluster() -> distributed.LocalCluster:
    return distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """Shared by the tests that kill no worker."""
    with local_cluster() as local:
        yield local


@pytest.fixture
def scheduler(cluster) -> str:
    """The shared cluster's address, once both workers are up."""
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=WAIT_SECONDS)
    return cluster.scheduler_address


@pytest.fixture
def own_scheduler() -> Iterator[str]:
    """A cluster of its own for a test that kills workers: no other test waits on the nannies'
    restarts (once, on a loaded machine, a killed worker was not back after 120 s)."""
    with local_cluster() as local:
        with distributed.Client(local.scheduler_address, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=WAIT_SECONDS)
        yield local.scheduler_address


def notebook(tmp_path: Path, name: str, code: str, parameters: dict[str, object]) -> Path:
    path = tmp_path / f"{name}.ipynb"
    write_notebook(
        new_notebook([Block(name="main", kind="model", source=textwrap.dedent(code))], parameters), path
    )
    return path


def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "train.csv").write_text("a,b\n1,2\n3,4\n")
    return folder


def injected_data_dir(executed: str) -> str:
    nb = nbformat.read(executed, as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    return next(
        line.split("=", 1)[1].strip().strip('"')
        for line in injected.source.splitlines()
        if "DATA_DIR" in line
    )


def wait_for_file(path: Path) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists() or not path.read_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {path}")
        time.sleep(0.1)
    return path.read_text()


def kill_dask_worker_of(executor_worker_pid: int) -> int:
    """SIGKILL the Dask worker process whose notebook worker is `executor_worker_pid`."""
    dask_worker = psutil.Process(executor_worker_pid).parent()
    assert dask_worker is not None
    os.kill(dask_worker.pid, signal.SIGKILL)
    return dask_worker.pid


def test_shipped_data_runs_on_workers_and_outputs_come_back(tmp_path: Path, scheduler: str) -> None:
    data = data_dir(tmp_path)
    source = notebook(tmp_path, "reader", READ_DATA, {"DATA_DIR": "x", "OUTPUT_DIR": "."})
    requests = [
        ExecutionRequest(
            notebook_path=str(source),
            output_dir=str(tmp_path / f"out{i}"),
            parameters={"DATA_DIR": str(data)},
        )
        for i in range(3)
    ]
    with DaskExecutor(scheduler, data="ship") as executor:
        assert executor.workers == 2
        results = executor.map(requests)

    for request, result in zip(requests, results, strict=True):
        assert result.status == "ok", result.reason
        assert result.score == 4.0
        assert result.submission_path == str(Path(request.output_dir) / "submission.csv")
        assert Path(result.submission_path).read_text() == "a,b\n1,2\n3,4\n"
        assert result.executed_notebook is not None
        # The notebook read a copy on the worker, not the folder on this side.
        assert injected_data_dir(result.executed_notebook) != str(data)
        assert len(result.starts) == 1


def test_shared_storage_is_read_in_place(tmp_path: Path, scheduler: str) -> None:
    data = data_dir(tmp_path)
    source = notebook(tmp_path, "reader", READ_DATA, {"DATA_DIR": "x", "OUTPUT_DIR": "."})
    request = ExecutionRequest(
        notebook_path=str(source), output_dir=str(tmp_path / "out"), parameters={"DATA_DIR": str(data)}
    )
    with DaskExecutor(scheduler, data="auto") as executor:
        result = executor.submit(request).result()

    assert result.status == "ok", result.reason
    assert result.executed_notebook is not None
    assert injected_data_dir(result.executed_notebook) == str(data)


def test_a_killed_worker_costs_one_retry_and_other_candidates_go_on(
    tmp_path: Path, own_scheduler: str
) -> None:
    hang = notebook(tmp_path, "hang", HANG_ON_FIRST_START, {"OUTPUT_DIR": ".", "ALWAYS_HANG": False})
    data = data_dir(tmp_path)
    reader = notebook(tmp_path, "reader", READ_DATA, {"DATA_DIR": "x", "OUTPUT_DIR": "."})
    with DaskExecutor(own_scheduler) as executor:
        victim = executor.submit(ExecutionRequest(notebook_path=str(hang), output_dir=str(tmp_path / "hang")))
        first_pid = int(wait_for_file(tmp_path / "hang" / "pid.txt"))
        kill_dask_worker_of(first_pid)
        other = executor.submit(
            ExecutionRequest(
                notebook_path=str(reader),
                output_dir=str(tmp_path / "other"),
                parameters={"DATA_DIR": str(data)},
            )
        )
        result, bystander = victim.result(), other.result()

    assert result.status == "ok", result.reason
    assert result.score == 1.0
    assert len(result.starts) == 2 and result.starts[0] != result.starts[1]
    assert bystander.status == "ok", bystander.reason


def test_a_candidate_whose_worker_dies_twice_is_killed_not_retried_again(
    tmp_path: Path, own_scheduler: str
) -> None:
    hang = notebook(tmp_path, "hang", HANG_ON_FIRST_START, {"OUTPUT_DIR": ".", "ALWAYS_HANG": True})
    pid_file = tmp_path / "hang" / "pid.txt"
    with DaskExecutor(own_scheduler) as executor:
        future = executor.submit(ExecutionRequest(notebook_path=str(hang), output_dir=str(tmp_path / "hang")))
        first_pid = int(wait_for_file(pid_file))
        kill_dask_worker_of(first_pid)
        pid_file.unlink()
        kill_dask_worker_of(int(wait_for_file(pid_file)))
        result = future.result()

    assert result.status == "killed"
    assert result.error is not None and result.error.ename == "WorkerDied"
    assert result.reason is not None and "died 2 times" in result.reason
    assert len(result.starts) == 2


def test_cancel_all_stops_a_notebook_on_a_worker(tmp_path: Path, scheduler: str) -> None:
    hang = notebook(tmp_path, "hang", HANG_ON_FIRST_START, {"OUTPUT_DIR": ".", "ALWAYS_HANG": True})
    with DaskExecutor(scheduler) as executor:
        future = executor.submit(ExecutionRequest(notebook_path=str(hang), output_dir=str(tmp_path / "hang")))
        notebook_worker = psutil.Process(int(wait_for_file(tmp_path / "hang" / "pid.txt")))
        executor.cancel_all()
        result = future.result()

    assert result.status == "killed" and result.reason == "cancelled"
    notebook_worker.wait(timeout=WAIT_SECONDS)


def test_a_run_on_the_cluster_survives_a_killed_worker(
    tmp_path: Path, own_scheduler: str, demo_task_dir
) -> None:
    workspace = Workspace(tmp_path / "ws")
    store = RunStore(workspace.db_path)
    config = RunConfig(
        models=2,
        outer_steps=0,
        ensemble_rounds=0,
        time_budget=300.0,
        executor="dask",
        scheduler=own_scheduler,
        dask_data="ship",
    )
    run = create_run(workspace, store, demo_task_dir, config)
    with distributed.Client(own_scheduler, set_as_default=False) as client:
        dask_pids = set(client.run(os.getpid).values())
    killed: list[int] = []
    stop = threading.Event()

    def kill_under_first_candidate() -> None:
        while not stop.wait(0.1):
            for pid in dask_pids:
                try:
                    children = psutil.Process(pid).children()
                except psutil.NoSuchProcess:
                    continue
                if any(WORKER_MODULE in " ".join(child.cmdline()) for child in children):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return

    killer = threading.Thread(target=kill_under_first_candidate)
    killer.start()
    try:
        final = execute_run(workspace, store, run.id)
    finally:
        stop.set()
        killer.join()

    assert killed, "no candidate ever ran on a Dask worker"
    assert final.status == "finished", final.error
    assert final.submission_path is not None and Path(final.submission_path).is_file()
    retried = [step for step in store.steps(run.id) if len(step.info.get("workers", [])) == 2]
    assert retried and retried[0].status == "ok"


def test_a_run_started_from_a_notebook_sends_its_candidates_to_the_scheduler(
    tmp_path: Path, scheduler: str, demo_task_dir
) -> None:
    """The detached agent the server and the notebook API start reads the scheduler from the run."""
    lab = Lab(tmp_path / "ws")
    run = lab.start(demo_task_dir, "5m", scheduler=scheduler, models=1, outer_steps=0, ensemble_rounds=0)
    assert (run.record.config["executor"], run.record.config["scheduler"]) == ("dask", scheduler)
    final = run.wait(timeout=WAIT_SECONDS * 2)
    assert final.status == "finished", final.error
    with distributed.Client(scheduler, set_as_default=False) as client:
        cluster_workers = set(client.scheduler_info()["workers"])
    executed = [s for s in lab.store.steps(run.id) if s.runtime is not None]
    assert executed and all(set(s.info["workers"]) <= cluster_workers for s in executed)


def test_cli_refuses_dask_without_a_scheduler(
    capsys: pytest.CaptureFixture[str], demo_task_dir, tmp_path: Path
) -> None:
    code = cli_main(["--workspace", str(tmp_path / "ws"), "run", str(demo_task_dir), "--executor", "dask"])
    assert code == 2
    assert "--scheduler tcp://HOST:PORT" in capsys.readouterr().err


def test_an_unreachable_scheduler_fails_the_run_with_a_clear_error(
    tmp_path: Path, demo_task_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mlestar_lab.executor.remote.dask_executor.CONNECT_TIMEOUT_SECONDS", 2.0)
    workspace = Workspace(tmp_path / "ws")
    store = RunStore(workspace.db_path)
    config = RunConfig(executor="dask", scheduler="tcp://127.0.0.1:9", time_budget=60.0)
    run = create_run(workspace, store, demo_task_dir, config)
    final = execute_run(workspace, store, run.id)
    assert final.status == "failed"
    assert final.error is not None and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in final.error
