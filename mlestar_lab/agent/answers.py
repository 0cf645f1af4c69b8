"""Answering a gate's decision: the one validation that the CLI, the server and the widget share.

A bad answer is refused here with a message that says what to fix (the server turns it into a
400), before it reaches the store; the store's compare-and-set turns a second answer into a
conflict (409). An edit may only change what its gate allows (`request["editable"]`).
"""

from __future__ import annotations

from typing import Any

from mlestar_lab.errors import UserError
from mlestar_lab.safe_ast import parse
from mlestar_lab.store.decisions import DecisionConflict
from mlestar_lab.store.models import Decision, DecisionAnswer
from mlestar_lab.store.store import RunStore

EDIT_FIELDS = ("code", "block", "plan", "families", "step_id")


class DecisionInvalid(UserError):
    """An answer that cannot apply to its decision."""


def answer_decision(store: RunStore, run_id: str, decision_id: int, answer: DecisionAnswer) -> Decision:
    decision = store.get_decision(run_id, decision_id)
    if decision.status != "pending":
        raise DecisionConflict(
            f"decision {decision_id} of run {run_id} was already answered ({decision.status})"
        )
    check_answer(decision, answer)
    return store.answer_decision(run_id, decision_id, answer)


def check_answer(decision: Decision, answer: DecisionAnswer) -> None:
    given = [name for name in EDIT_FIELDS if getattr(answer, name) not in (None, "", [])]
    if answer.action == "reject":
        if not (answer.reason or "").strip():
            raise DecisionInvalid("a rejection needs a reason: later plans are told why")
        return
    if answer.action == "approve":
        if given:
            raise DecisionInvalid(
                f"approve takes no changes (got {', '.join(given)}); use edit to change them"
            )
        return
    editable = decision.request.get("editable", [])
    if not given:
        raise DecisionInvalid(
            f"an edit must change something: at the {decision.gate} gate, {_list(editable)}"
        )
    refused = [name for name in given if name not in editable]
    if refused:
        raise DecisionInvalid(
            f"the {decision.gate} gate cannot edit {', '.join(refused)}; it accepts {_list(editable)}"
        )
    if answer.plan is not None and not answer.plan.strip():
        raise DecisionInvalid("the edited plan is empty: write the plan, or leave `plan` out")
    _check_fields(decision.request, answer)


def _check_fields(request: dict[str, Any], answer: DecisionAnswer) -> None:
    blocks = request.get("blocks", [])
    if answer.block is not None and answer.block not in blocks:
        raise DecisionInvalid(f"no block {answer.block!r} here; choose one of {_list(blocks)}")
    if (
        (answer.code is not None or answer.plan is not None)
        and answer.block is None
        and not request.get("block")
    ):
        what = "code replaces" if answer.code is not None else "plan changes"
        raise DecisionInvalid(f"say which block the {what}: `block`, one of {_list(blocks)}")
    if answer.code is not None:
        try:
            parse(answer.code)
        except SyntaxError as exc:
            raise DecisionInvalid(f"the edited code does not parse: line {exc.lineno}: {exc.msg}") from exc
    if answer.families is not None:
        available = request.get("available_families", [])
        unknown = [f for f in answer.families if f not in available]
        if unknown:
            raise DecisionInvalid(f"unknown model families {_list(unknown)}; available: {_list(available)}")
    if answer.step_id is not None:
        choices = [c["step_id"] for c in request.get("choices", [])]
        if answer.step_id not in choices:
            raise DecisionInvalid(
                f"step {answer.step_id} is not a choice here; choose one of {_list(choices)}"
            )


def _list(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values) or "(none)"
