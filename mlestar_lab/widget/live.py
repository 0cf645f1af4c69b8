"""Keeping a panel current without holding the kernel: a daemon thread that polls the run store.

A thread rather than an asyncio task on the kernel's loop, so the panel also moves while a cell
blocks the kernel (`run.wait()`, a long computation); ipykernel sends widget updates from any
thread. The thread ends when the run has ended or the panel is closed; an error stops it and is
shown by the panel, never dropped. Re-running the cell that shows a panel makes a new one: only the
newest poller of a run keeps going, so old outputs do not pile up threads reading the store.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable

log = logging.getLogger(__name__)
_newest: dict[str, weakref.ref[Poller]] = {}
_newest_lock = threading.Lock()


class Poller:
    def __init__(
        self,
        tick: Callable[[], bool],
        interval: float,
        on_error: Callable[[BaseException], None],
        follows: str | None = None,
    ) -> None:
        """`tick` is called every `interval` seconds while it returns True; starting stops the
        poller that last started for the same `follows` key (the run it follows)."""
        if interval <= 0:
            raise ValueError(f"the refresh interval must be positive, got {interval}")
        self.tick = tick
        self.interval = interval
        self.on_error = on_error
        self.follows = follows
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        if self.follows is not None:
            with _newest_lock:
                previous = _newest.get(self.follows)
                _newest[self.follows] = weakref.ref(self)
            older = previous() if previous is not None else None
            if older is not None and older is not self:
                older.stop()
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
