"""Keeping a panel current without holding the kernel: a daemon thread that polls the run store.

A thread rather than an asyncio task on the kernel's loop, so the panel also moves while a cell
blocks the kernel (`run.wait()`, a long computation); ipykernel sends widget updates from any
thread. The thread ends when the run has ended or the panel is closed; an error stops it and is
shown by the panel, never dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self, tick: Callable[[], bool], interval: float, on_error: Callable[[BaseException], None]
    ) -> None:
        """`tick` is called every `interval` seconds while it returns True."""
        if interval <= 0:
            raise ValueError(f"the refresh interval must be positive, got {interval}")
        self.tick = tick
        self.interval = interval
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="mlestar-panel", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self.tick():
                    return
            except Exception as exc:
                log.exception("the run panel stopped updating")
                self.on_error(exc)
                return
