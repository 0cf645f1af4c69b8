"""Every model call kept as a JSON file in the run folder (`llm/0001-candidate_writer.json`):
prompt, reply, tokens, cost, grounding sources, retries, error. A reply that could not be used
stays there for inspection. Everything passes through `redact` with the client's own key added to
the secrets it looks for, so no key reaches a transcript even if a server or model echoed it.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

from mlestar_lab.fsutil import atomic_write_json
from mlestar_lab.store.redact import env_secrets, redact_value


class Transcripts:
    def __init__(self, folder: Path | None, secrets: list[str]):
        self.folder = folder
        self._secrets = [s for s in secrets if s]
        self._lock = threading.Lock()
        self._numbers = itertools.count(self._first_number())

    def _first_number(self) -> int:
        """After a resume, numbering goes on after the calls already on disk."""
        if self.folder is None or not self.folder.is_dir():
            return 1
        taken = [int(p.name.split("-", 1)[0]) for p in self.folder.glob("*.json") if p.name[:4].isdigit()]
        return max(taken, default=0) + 1

    def secrets(self) -> list[str]:
        return sorted({*self._secrets, *env_secrets()}, key=len, reverse=True)

    def scrub(self, value: Any) -> Any:
        return redact_value(value, self.secrets())

    def write(self, role: str, record: dict[str, Any]) -> str:
        """Store one call; returns its name (relative to the run folder when stored)."""
        with self._lock:
            number = next(self._numbers)
        name = f"{number:04d}-{role}.json"
        if self.folder is None:
            return name
        atomic_write_json(self.folder / name, self.scrub(record))
        return f"{self.folder.name}/{name}"
