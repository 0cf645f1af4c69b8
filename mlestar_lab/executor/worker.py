"""The child process that runs one notebook: `python -m mlestar_lab.executor.worker REQUEST RESULT`.

papermill chdirs its whole process and a dying kernel can take its host down, so every notebook
gets a process of its own. This side only runs papermill and reports what happened; the time
limit, the memory limit and cancellation are enforced from outside by the parent.

`--standby KERNEL MEMORY_MB` starts a worker ahead of time (see `spares.py`): it imports papermill
and starts a fresh kernel, then waits on stdin for the one line naming the one notebook it will
run, `["REQUEST", "RESULT"]` in JSON. End of input before that line means "not needed": it exits.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from mlestar_lab.executor.limits import PARENT_PID_VARIABLE, die_with_parent, limit_data_segment, thread_count
from mlestar_lab.executor.models import LOG_FILE, ExecutionRequest, ExecutionResult

USAGE = (
    "usage: python -m mlestar_lab.executor.worker REQUEST.json RESULT.json\n"
    "       python -m mlestar_lab.executor.worker --standby KERNEL_NAME MEMORY_MB|none"
)
STANDBY = "--standby"
NO_LIMIT = "none"
# jsonschema, imported by nbformat, builds the grammar of this optional IRI format checker at
# import time (≈ 1 s here, every notebook). Notebook validation never checks formats; without the
# module jsonschema simply leaves that checker out.
_UNUSED_SLOW_IMPORTS = ("rfc3987_syntax",)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == STANDBY:
        return _standby(args[1], None if args[2] == NO_LIMIT else int(args[2]))
    if len(args) != 2 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 2
    _bind_to_parent()
    request = _read_request(args[0])
    limit_data_segment(request.memory_limit_mb, thread_count(os.environ))
    _skip_slow_imports()
    # Imported only now: papermill and nbformat are the slow part of start-up, and the process
    # must already be bound to its parent and limited when they load.
    from mlestar_lab.executor.papermill_run import run

    _report(run(request), args[1])
    return 0


def _standby(kernel_name: str, memory_limit_mb: int | None) -> int:
    """Prepare everything that does not depend on the notebook, then run the one handed over."""
    _bind_to_parent()
    limit_data_segment(memory_limit_mb, thread_count(os.environ))
    _skip_slow_imports()
    import nbformat

    from mlestar_lab.executor.papermill_run import run
    from mlestar_lab.executor.prepared import PreparedKernel

    # The notebook schema validator is compiled on first use (≈ 50 ms): pay it now.
    nbformat.validate(nbformat.v4.new_notebook())
    try:
        kernel: PreparedKernel | None = PreparedKernel(kernel_name)
    except RuntimeError as exc:
        print(f"standby: the kernel did not start ahead of time ({exc}); it starts with the notebook")
        kernel = None
    line = sys.stdin.readline()
    if not line.strip():
        if kernel is not None:
            kernel.shutdown()
        return 0
    request_file, result_file = json.loads(line)
    request = _read_request(request_file)
    _log_to(Path(request.output_dir) / LOG_FILE)
    if kernel is not None and request.kernel_name != kernel_name:
        kernel.shutdown()
        kernel = None
    _report(run(request, kernel), result_file)
    return 0


def _bind_to_parent() -> None:
    parent = os.environ.pop(PARENT_PID_VARIABLE, None)
    die_with_parent(int(parent) if parent else None)


def _read_request(path: str) -> ExecutionRequest:
    return ExecutionRequest.model_validate_json(Path(path).read_text(encoding="utf-8"))


def _skip_slow_imports() -> None:
    for name in _UNUSED_SLOW_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[assignment]


def _log_to(path: Path) -> None:
    """From now on this process writes to the notebook's log (its kernel keeps the standby log)."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, sys.stdout.fileno())
    os.dup2(fd, sys.stderr.fileno())
    os.close(fd)


def _report(result: ExecutionResult, path: str) -> None:
    from mlestar_lab.fsutil import atomic_write_json

    atomic_write_json(path, result.model_dump(mode="json"))


if __name__ == "__main__":
    sys.exit(main())
