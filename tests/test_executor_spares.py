"""Spare workers: started ahead of time, one notebook each, in a kernel that has run nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psutil
from test_executor import gone, make_request, read_pids, wait_for

from mlestar_lab.executor.models import LOG_FILE
from mlestar_lab.executor.pool import ExecutorPool

STANDBY_FLAG = "--standby"

# Runs first in every notebook below: what the kernel had before the notebook's own code.
INSPECT = """
import json, os, time
import psutil
state = {
    "names": sorted(globals()),
    "cwd": os.getcwd(),
    "kernel_started": psutil.Process().create_time(),
    "execution_count": get_ipython().execution_count,
}
with open(os.path.join(OUTPUT_DIR, "state.json"), "w") as handle:
    json.dump(state, handle)
LEAK = "from an earlier notebook"
"""


def standby_workers() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if STANDBY_FLAG in child.cmdline():
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_a_spare_runs_the_next_notebook_in_a_fresh_kernel_started_before_it(tmp_path: Path) -> None:
    with ExecutorPool(workers=1) as pool:
        first = pool.submit(make_request(tmp_path, "first", {"inspect": INSPECT})).result()
        assert first.status == "ok", first.reason
        wait_for(lambda: len(standby_workers()) == 1 and standby_workers()[0].children(), "a spare's kernel")
        submitted = time.time()
        request = make_request(tmp_path, "second", {"inspect": INSPECT})
        second = pool.submit(request).result()

    assert second.status == "ok", second.reason
    state = json.loads((Path(request.output_dir) / "state.json").read_text())
    assert state["kernel_started"] < submitted  # the kernel was ready before the notebook existed
    assert state["cwd"] == request.output_dir  # moved to the output folder, like papermill's cwd=
    # The first notebook ran in a kernel started on demand: the spare's kernel looks the same, so
    # nothing came from the first notebook (LEAK) and the move to the output folder left no trace.
    first_state = json.loads((tmp_path / "first" / "state.json").read_text())
    assert "LEAK" not in state["names"]
    assert state["names"] == first_state["names"]
    assert state["execution_count"] == first_state["execution_count"]


def test_a_spare_keeps_the_time_limit_and_kills_its_whole_tree(tmp_path: Path) -> None:
    with ExecutorPool(workers=1) as pool:
        pool.submit(make_request(tmp_path, "first", {"x": "x = 1"})).result()
        wait_for(lambda: len(standby_workers()) == 1, "a spare worker")
        spare = standby_workers()[0]
        request = make_request(
            tmp_path, "timeout", {"pids": _write_pids(), "loop": "while True:\n    pass"}, timeout=5
        )
        result = pool.submit(request).result()

    assert result.status == "timeout"
    assert result.reason is not None and result.reason.startswith("exceeded the 5 s time limit")
    pids = read_pids(request.output_dir)
    assert pids["worker"] == spare.pid  # the spare ran it
    assert gone(pids["kernel"]) and gone(pids["worker"])


def test_closing_the_pool_stops_its_spares(tmp_path: Path) -> None:
    with ExecutorPool(workers=2) as pool:
        # Each notebook handed over starts one spare, up to one per slot.
        pool.map([make_request(tmp_path, name, {"x": "x = 1"}) for name in ("one", "two", "three")])
        wait_for(lambda: len(standby_workers()) == 2, "two spare workers")
        spares = standby_workers()
    for spare in spares:
        wait_for(lambda spare=spare: gone(spare.pid), f"spare {spare.pid} to stop")
    assert not standby_workers()


def _write_pids() -> str:
    return """
import os
with open(os.path.join(OUTPUT_DIR, "pids.json"), "w") as handle:
    handle.write('{"kernel": %d, "worker": %d}' % (os.getpid(), os.getppid()))
"""


def test_workers_leave_out_the_slow_optional_import(tmp_path: Path) -> None:
    """jsonschema's optional IRI grammar costs ≈ 2 s of CPU per worker if anything imports
    nbformat before the worker turns it off; Python's own import log shows what each worker loaded."""
    profiled = {"PYTHONPROFILEIMPORTTIME": "1"}
    with ExecutorPool(workers=1) as pool:
        cold = pool.submit(make_request(tmp_path, "cold", {"x": "x = 1"}, env=profiled)).result()
        wait_for(lambda: len(standby_workers()) == 1, "a spare worker")
        warm = pool.submit(make_request(tmp_path, "warm", {"x": "x = 1"}, env=profiled)).result()
    for name, result in (("cold", cold), ("warm", warm)):
        assert result.status == "ok", result.reason
        imports = (tmp_path / name / LOG_FILE).read_text(encoding="utf-8", errors="replace")
        loaded = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if "|" in line}
        assert {"nbformat", "papermill"} <= loaded, "the import log was written"
        # Turned off, the package still shows as one refused import of a few µs: its grammar is the cost.
        assert "rfc3987_syntax.syntax_helpers" not in loaded, f"the {name} worker built the IRI grammar"
