"""`ast.parse` behind one process-wide lock.

The agent checks candidates from several threads at once, and CPython 3.11 keeps the AST
constructor's recursion depth in state shared between threads: concurrent parses fail at random
with `SystemError: AST constructor recursion depth mismatch` (python/cpython#106905). Parsing a
notebook takes milliseconds, so serialising it costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str, mode: str = "exec") -> ast.AST:
    with _LOCK:
        return ast.parse(source, mode=mode)
