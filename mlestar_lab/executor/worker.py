"""The child process that runs one notebook: `python -m mlestar_lab.executor.worker REQUEST RESULT`.

papermill chdirs its whole process and a dying kernel can take its host down, so every notebook
gets a process of its own. This side only runs papermill and reports what happened; the time
limit, the memory limit and cancellation are enforced from outside by the parent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlestar_lab.executor.limits import PARENT_PID_VARIABLE, die_with_parent, limit_data_segment, thread_count
from mlestar_lab.executor.models import ExecutionRequest

USAGE = "usage: python -m mlestar_lab.executor.worker REQUEST.json RESULT.json"
# jsonschema, imported by nbformat, builds the grammar of this optional IRI format checker at
# import time (≈ 1 s here, every notebook). Notebook validation never checks formats; without the
# module jsonschema simply leaves that checker out.
_UNUSED_SLOW_IMPORTS = ("rfc3987_syntax",)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    parent = os.environ.pop(PARENT_PID_VARIABLE, None)
    die_with_parent(int(parent) if parent else None)
    request = ExecutionRequest.model_validate_json(Path(args[0]).read_text(encoding="utf-8"))
    limit_data_segment(request.memory_limit_mb, thread_count(os.environ))
    for name in _UNUSED_SLOW_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[assignment]
    # Imported only now: papermill and nbformat are the slow part of start-up, and the process
    # must already be bound to its parent and limited when they load.
    from mlestar_lab.executor.papermill_run import run
    from mlestar_lab.fsutil import atomic_write_json

    result = run(request)
    atomic_write_json(args[1], result.model_dump(mode="json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
