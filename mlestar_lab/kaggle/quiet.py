"""Capturing what the `kaggle` package prints, per thread, so it never mixes into our output.

The package prints (help text, warnings, request dumps in verbose mode) instead of logging.
`contextlib.redirect_stdout` swaps the process-wide `sys.stdout`, which goes wrong when the
server runs two Kaggle calls at once (the second restores the first one's buffer). Here
`sys.stdout` is replaced, while any capture is active, by a proxy that sends each capturing
thread's writes to that thread's buffer and everything else to the real stream.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

_LOCK = threading.Lock()


class _PerThreadStdout:
    def __init__(self, original: TextIO) -> None:
        self.original = original
        self.buffers: dict[int, io.StringIO] = {}

    def _target(self) -> TextIO:
        return self.buffers.get(threading.get_ident()) or self.original

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


@contextlib.contextmanager
def captured_stdout() -> Iterator[io.StringIO]:
    """What this thread prints inside the block, kept out of the real stdout."""
    buffer = io.StringIO()
    ident = threading.get_ident()
    with _LOCK:
        if not isinstance(sys.stdout, _PerThreadStdout):
            sys.stdout = _PerThreadStdout(sys.stdout)  # type: ignore[assignment]
        proxy: _PerThreadStdout = sys.stdout  # type: ignore[assignment]
        proxy.buffers[ident] = buffer
    try:
        yield buffer
    finally:
        with _LOCK:
            proxy.buffers.pop(ident, None)
            if not proxy.buffers and sys.stdout is proxy:
                sys.stdout = proxy.original  # type: ignore[assignment]
