"""What a Dask worker runs for one candidate: `run_candidate`, the same `execute` as on one machine.

The worker runs the notebook in its own process tree, with the same time and memory limits, and
answers with plain data (dicts, bytes) so the agent and the workers need no matching pickles of
the executor's classes. It reads the task data where the agent left it when that storage is shared
(same path, same file versions), and otherwise from bundles the agent shipped, extracted once per
worker. A worker that dies takes its candidate with it; the scheduler starts the candidate again
elsewhere, and each start is recorded on the scheduler under the task's key so the second death is
the last.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlestar_lab.executor.models import ExecutionRequest, ExecutionResult
from mlestar_lab.executor.process import REQUEST_FILE, RESULT_FILE, execute
from mlestar_lab.executor.remote.bundle import digest, pack, unpack_once
from mlestar_lab.notebook.contract import INPUT_NOTEBOOK

# A candidate runs at most twice: once, and once more after its first worker died.
MAX_STARTS = 2
CANCEL_POLL_SECONDS = 1.0
_WORK_FOLDER = "mlestar"

Payload = dict[str, Any]
Reply = dict[str, Any]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_candidate(payload: Payload, bundles: dict[str, bytes]) -> Reply:
    """Run one candidate here; `payload` is built by `DaskExecutor`, `bundles` maps digest → tar.

    Replies: {"outcome": "need_data"} (no shared storage and nothing shipped), {"outcome": "lost",
    "starts": [...]} (this would be a third start), or {"outcome": "result", "result": ..., "files":
    tar of the output folder or None when it was written in place, "starts": [...]}.
    """
    from distributed import get_client, get_worker

    worker, client = get_worker(), get_client()
    shared = payload["data"] != "ship" and _sees_shared_storage(payload)
    if payload["data"] == "shared" and not shared:
        return _refused(payload, worker.address)
    if not shared and not bundles:
        return {"outcome": "need_data"}
    starts = [*payload["previous_starts"], *client.get_metadata(payload["key"], default=[])]
    if len(starts) >= MAX_STARTS:
        return {"outcome": "lost", "starts": starts}
    starts.append(worker.address)
    client.set_metadata(payload["key"], starts[len(payload["previous_starts"]) :])
    threads = max(1, (os.cpu_count() or 1) // max(1, worker.state.nthreads))
    env = {"OMP_NUM_THREADS": str(threads), **payload["env"]}
    with _cancellation(payload["cancel_event"], client) as cancel:
        if cancel.is_set():
            return _reply(ExecutionResult(status="killed", reason="cancelled"), None, starts)
        if shared:
            request = _request(
                payload, payload["notebook_path"], payload["output_dir"], payload["parameters"]
            )
            return _reply(execute(request.model_copy(update={"env": env}), cancel), None, starts)
        return _run_shipped(
            payload, bundles, Path(worker.local_directory) / _WORK_FOLDER, env, cancel, starts
        )


def _run_shipped(
    payload: Payload,
    bundles: dict[str, bytes],
    work: Path,
    env: dict[str, str],
    cancel: threading.Event,
    starts: list[str],
) -> Reply:
    """Run in a private folder on this worker, with shipped paths, and send the output folder back."""
    local: dict[str, str] = {}
    for client_path, (name, kind) in payload["paths"].items():
        folder = unpack_once(bundles[name], work / "data", name)
        local[client_path] = str(folder / Path(client_path).name if kind == "file" else folder)
    (work / "runs").mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="candidate-", dir=work / "runs"))
    try:
        notebook = run_dir / INPUT_NOTEBOOK
        notebook.write_bytes(payload["notebook"])
        parameters = {name: _rewrite(value, local.get) for name, value in payload["parameters"].items()}
        request = _request(payload, str(notebook), str(run_dir / "output"), parameters)
        result = execute(request.model_copy(update={"env": env}), cancel)
        files = pack(run_dir / "output", skip=frozenset({REQUEST_FILE, RESULT_FILE}))
        return _reply(result, files, starts)
    finally:
        shutil.rmtree(run_dir)


def _sees_shared_storage(payload: Payload) -> bool:
    """The agent's notebook and every path it passes exist here, as the same versions."""
    notebook = Path(payload["notebook_path"])
    if not notebook.is_file() or sha256_of(notebook) != payload["notebook_sha256"]:
        return False
    return all(
        Path(path).exists() and digest(Path(path)) == name for path, (name, _) in payload["paths"].items()
    )


def _refused(payload: Payload, address: str) -> Reply:
    reason = (
        f"shared storage was required, but Dask worker {address} does not see {payload['notebook_path']} "
        "or the task data as the agent does; mount the same folders there or use data shipping"
    )
    return _reply(ExecutionResult(status="error", reason=reason), None, [address])


def _request(
    payload: Payload, notebook: str, output_dir: str, parameters: dict[str, Any]
) -> ExecutionRequest:
    return ExecutionRequest(
        notebook_path=notebook,
        output_dir=output_dir,
        parameters=parameters,
        timeout=payload["timeout"],
        memory_limit_mb=payload["memory_limit_mb"],
        kernel_name=payload["kernel_name"],
    )


def _rewrite(value: Any, local: Callable[[str], str | None]) -> Any:
    if isinstance(value, str):
        return local(value) or value
    if isinstance(value, list):
        return [_rewrite(item, local) for item in value]
    return value


def _reply(result: ExecutionResult, files: bytes | None, starts: list[str]) -> Reply:
    return {"outcome": "result", "result": result.model_dump(mode="json"), "files": files, "starts": starts}


@contextmanager
def _cancellation(event_name: str, client: Any) -> Iterator[threading.Event]:
    """A local event set when the agent sets the Dask event `event_name` (polled every second)."""
    from distributed import Event

    remote = Event(event_name, client=client)
    cancel, done = threading.Event(), threading.Event()
    if remote.is_set():
        cancel.set()

    def watch() -> None:
        while not done.is_set():
            if remote.wait(timeout=CANCEL_POLL_SECONDS):
                cancel.set()
                return

    watcher = threading.Thread(target=watch, name="mlestar-cancel-watch", daemon=True)
    watcher.start()
    try:
        yield cancel
    finally:
        done.set()
        watcher.join()
