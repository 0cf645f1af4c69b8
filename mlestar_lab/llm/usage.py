"""Tokens and estimated cost: per model call, per step (a thread's tally) and per run (the ledger).

The ledger is the run's total and its cap. Every model call is charged to it; a call is refused
once the cap is reached (`SpendCapReached`), and the loop, whose budget asks `exhausted()`, stops
starting new work and finishes with its best submission. Steps are charged through tallies: the
loop opens `ledger.tally()` around a strategist call and records what the calls made inside it,
in this thread, cost — so parallel candidates are each charged their own calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


class SpendCapReached(Exception):
    """The run's token or cost cap is reached: no more model calls in this run."""


@dataclass
class Tally:
    """What the model calls made inside one `tally()` block cost, and where their transcripts are."""

    tokens: int = 0
    cost_usd: float = 0.0
    calls: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.tokens += other.tokens
        self.cost_usd += other.cost_usd
        self.calls.extend(other.calls)
        self.sources.extend(s for s in other.sources if s not in self.sources)

    def info(self) -> dict[str, Any]:
        """The step-info entry for these calls (empty when there were none)."""
        if not self.calls:
            return {}
        llm: dict[str, Any] = {"calls": list(self.calls), "tokens": self.tokens, "cost_usd": self.cost_usd}
        if self.sources:
            llm["sources"] = list(self.sources)
        return {"llm": llm}


class SpendLedger:
    """A run's model spend: thread-safe totals, an optional cap, per-thread tallies."""

    def __init__(
        self,
        max_tokens: int | None = None,
        max_cost_usd: float | None = None,
        tokens: int = 0,
        cost_usd: float = 0.0,
        on_change: Callable[[int, float], None] | None = None,
    ):
        self.max_tokens = max_tokens
        self.max_cost_usd = max_cost_usd
        self.tokens = tokens
        self.cost_usd = cost_usd
        self.on_change = on_change
        self._lock = threading.Lock()
        self._local = threading.local()

    def exhausted(self) -> bool:
        with self._lock:
            return self._over()

    def _over(self) -> bool:
        return (self.max_tokens is not None and self.tokens >= self.max_tokens) or (
            self.max_cost_usd is not None and self.cost_usd >= self.max_cost_usd
        )

    def check(self) -> None:
        """Raise SpendCapReached when no further call may be made."""
        with self._lock:
            if self._over():
                raise SpendCapReached(self._describe())

    def _describe(self) -> str:
        caps = []
        if self.max_tokens is not None:
            caps.append(f"{self.tokens:,} of {self.max_tokens:,} tokens")
        if self.max_cost_usd is not None:
            caps.append(f"${self.cost_usd:.4f} of ${self.max_cost_usd:.4f}")
        return "the run's model spend cap is reached (" + ", ".join(caps) + ")"

    def charge(self, tokens: int, cost_usd: float, transcript: str, sources: list[dict[str, str]]) -> None:
        with self._lock:
            self.tokens += tokens
            self.cost_usd += cost_usd
            totals = (self.tokens, self.cost_usd)
        self.attribute(Tally(tokens, cost_usd, [transcript], list(sources)))
        if self.on_change is not None:
            self.on_change(*totals)

    def attribute(self, earlier: Tally) -> None:
        """Count calls already charged (in `earlier`) in this thread's open tallies too: for work
        proposed in one place and recorded in another. The run's totals do not change."""
        for tally in getattr(self._local, "open", []):
            tally.add(earlier)

    @contextmanager
    def tally(self) -> Iterator[Tally]:
        """Collect the calls this thread makes inside the block (tallies nest)."""
        opened: list[Tally] = self._local.__dict__.setdefault("open", [])
        tally = Tally()
        opened.append(tally)
        try:
            yield tally
        finally:
            opened.remove(tally)
