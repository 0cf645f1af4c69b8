"""Settings of one run, stored with it so that a resumed run behaves exactly like the original."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from mlestar_lab.errors import UserError
from mlestar_lab.store.models import GATES, GateMode

# The transports a Dask client connects over; the address is checked here so that a typo fails when
# the run is created, not minutes later in the agent.
SCHEDULER_ADDRESS = re.compile(r"(tcp|tls|ucx|ws|wss|inproc)://[^\s/]+")


class RunConfig(BaseModel):
    """MLE-STAR's knobs (paper defaults M=4, T=4, K=4, R=5) and the run's limits."""

    strategist: str = "offline"
    model: str | None = None
    time_budget: float = Field(default=600.0, gt=0, description="Wall-clock seconds for the whole run.")
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1)
    models: int = Field(default=4, ge=1, description="M: model families retrieved.")
    outer_steps: int | None = Field(
        default=None,
        ge=0,
        description="T: ablation → refinement rounds; None: the paper's 4, then more while the budget lasts.",
    )
    inner_steps: int = Field(default=4, ge=0, description="K: refinement plans per chosen block.")
    ensemble_rounds: int = Field(default=5, ge=0, description="R: ensemble strategies tried.")
    seed: int = 42
    notebook_timeout: float = Field(default=1800.0, gt=0)
    memory_limit_mb: int | None = Field(default=None, ge=64)
    debug_retries: int = Field(default=2, ge=0)
    task_overrides: dict[str, str | int] = Field(default_factory=dict)
    max_tokens: int | None = Field(
        default=None, gt=0, description="Cap on the run's model tokens; then the run finishes with its best."
    )
    max_cost_usd: float | None = Field(
        default=None, gt=0, description="Cap on the run's estimated model cost in US dollars, likewise."
    )
    gates: dict[str, GateMode] = Field(
        default_factory=dict, description="Gate → 'ask' to wait for a user's decision there; others are auto."
    )
    starting_notebooks: list[str] = Field(
        default_factory=list,
        description="Imported notebooks (paths relative to the run folder) run as initial candidates too.",
    )
    executor: Literal["local", "dask"] = Field(
        default="local", description="Where notebooks run: local processes, or a Dask distributed cluster."
    )
    scheduler: str | None = Field(default=None, description="The Dask scheduler, tcp://HOST:PORT.")
    dask_data: Literal["auto", "ship", "shared"] = Field(
        default="auto", description="Task data for Dask workers: read in place (shared), shipped, or auto."
    )

    @model_validator(mode="after")
    def _scheduler_with_dask(self) -> RunConfig:
        if self.executor == "dask" and not self.scheduler:
            raise ValueError("the Dask executor needs the scheduler's address (tcp://HOST:PORT)")
        if self.executor != "dask" and self.scheduler:
            raise ValueError("a scheduler address only makes sense with the Dask executor")
        return self

    @field_validator("scheduler")
    @classmethod
    def _scheduler_address(cls, scheduler: str | None) -> str | None:
        if scheduler is not None and not SCHEDULER_ADDRESS.fullmatch(scheduler):
            raise ValueError(f"{scheduler!r} is not a Dask scheduler address; write it as tcp://HOST:PORT")
        return scheduler

    @field_validator("gates")
    @classmethod
    def _known_gates(cls, gates: dict[str, GateMode]) -> dict[str, GateMode]:
        unknown = sorted(set(gates) - set(GATES))
        if unknown:
            raise ValueError(f"unknown gate(s) {', '.join(unknown)}; gates are {', '.join(GATES)}")
        return gates

    def gate_mode(self, gate: str) -> GateMode:
        return self.gates.get(gate, "auto")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|m|min|mins|h|hr|hrs)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds in '90', '90s', '5m', '1.5h'; a clear error for anything else."""
    match = _DURATION.match(str(text))
    if not match:
        raise UserError(f"cannot read the duration {text!r}: use a number of seconds or e.g. 90s, 5m, 1.5h")
    value, unit = float(match.group(1)), (match.group(2) or "s").lower()
    seconds = value * {"s": 1, "m": 60, "h": 3600}[unit[0]]
    if seconds <= 0:
        raise UserError(f"the duration {text!r} must be positive")
    return seconds


def default_memory_limit_mb(workers: int) -> int:
    """Share of the machine's memory one notebook may use: leave room for the agent and the OS."""
    import psutil

    total_mb = psutil.virtual_memory().total // (1024 * 1024)
    return max(512, int(total_mb * 0.8 / max(1, workers)))


def parse_gates(text: str) -> dict[str, GateMode]:
    """Gate modes from 'ask' (every gate), 'auto', 'ablation=ask,refinement=ask' or 'ask,merge=auto'."""
    gates: dict[str, GateMode] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, mode = part.rpartition("=") if "=" in part else ("", "", part)
        if mode not in ("auto", "ask"):
            raise UserError(f"cannot read the gate setting {part!r}: use ask, auto or GATE=ask|auto")
        if not name:
            gates.update(dict.fromkeys(GATES, mode))  # type: ignore[arg-type]
        elif name not in GATES:
            raise UserError(f"unknown gate {name!r} in {text!r}; gates are {', '.join(GATES)}")
        else:
            gates[name] = mode  # type: ignore[assignment]
    return {g: m for g, m in gates.items() if m == "ask"}
