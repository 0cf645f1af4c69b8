"""Putting the strategist's model spend on the steps it was spent for.

The loop opens a tally (`SpendLedger.tally`) around each strategist call; what the calls inside
cost goes on the draft the call produced (and so on its step), or on an existing step for a
follow-up such as a leakage fix or a debugger that failed.
"""

from __future__ import annotations

from typing import Any

from mlestar_lab.llm.usage import Tally
from mlestar_lab.store.models import StepRecord
from mlestar_lab.store.store import RunStore
from mlestar_lab.strategist.base import Draft


def charged(draft: Draft, used: Tally) -> Draft:
    """`draft` carrying the tokens, cost and transcripts of the model calls that produced it."""
    if used.calls:
        draft.tokens, draft.cost_usd = used.tokens, used.cost_usd
        draft.info = {**draft.info, **used.info()}
    return draft


def charge_step(store: RunStore, step: StepRecord, used: Tally, note: str = "") -> StepRecord:
    """`step` with the calls of a follow-up added to its spend, and `note` to its reason."""
    if not used.calls and not note:
        return step
    assert step.id is not None
    llm = dict(step.info.get("llm", {}))
    llm["calls"] = [*llm.get("calls", []), *used.calls]
    fields: dict[str, Any] = {
        "tokens": step.tokens + used.tokens,
        "cost_usd": step.cost_usd + used.cost_usd,
        "info": {**step.info, "llm": llm},
    }
    if note:
        fields["reason"] = (step.reason or "") + note
    return store.update_step(step.id, **fields)
