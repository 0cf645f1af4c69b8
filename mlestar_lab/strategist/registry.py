"""Strategists by name, so the CLI, the server and the widget pick them the same way."""

from __future__ import annotations

from pathlib import Path

from mlestar_lab.errors import UserError
from mlestar_lab.llm.usage import SpendLedger
from mlestar_lab.strategist.base import Strategist

AVAILABLE = ("offline", "gemini", "openai")
LLM_STRATEGISTS = ("gemini", "openai")


def make_strategist(
    name: str,
    model: str | None = None,
    seed: int = 42,
    *,
    ledger: SpendLedger | None = None,
    run_dir: Path | None = None,
) -> Strategist:
    """The strategist `name`. LLM strategists resolve their key here, so a missing one fails fast;
    they charge their calls to `ledger` and keep transcripts under `run_dir/llm`."""
    if name == "offline":
        from mlestar_lab.strategist.offline.strategist import OfflineStrategist

        return OfflineStrategist(seed=seed)
    if name in LLM_STRATEGISTS:
        from mlestar_lab.strategist.llm.strategist import make_llm_strategist

        return make_llm_strategist(name, model, seed, ledger, run_dir)
    raise UserError(f"unknown strategist {name!r}; available: {', '.join(AVAILABLE)}")
