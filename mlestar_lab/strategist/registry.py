"""Strategists by name, so the CLI, the server and the widget pick them the same way."""

from __future__ import annotations

from mlestar_lab.errors import UserError
from mlestar_lab.strategist.base import Strategist

AVAILABLE = ("offline",)


def make_strategist(name: str, model: str | None = None, seed: int = 42) -> Strategist:
    if name == "offline":
        from mlestar_lab.strategist.offline.strategist import OfflineStrategist

        return OfflineStrategist(seed=seed)
    raise UserError(f"unknown strategist {name!r}; available: {', '.join(AVAILABLE)}")
