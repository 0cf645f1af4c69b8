"""Decisions at the gates: the store's compare-and-set, the shared answer validation, the paused
budget and the CLI (the loop's use of them is in test_gates_loop.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from test_store import GOOGLE_KEY, run_record

from mlestar_lab.agent.answers import DecisionInvalid, answer_decision
from mlestar_lab.agent.budget import Budget
from mlestar_lab.agent.config import RunConfig, parse_gates
from mlestar_lab.cli.main import main
from mlestar_lab.errors import RunNotFound, UserError
from mlestar_lab.store.decisions import DecisionConflict, DecisionNotFound
from mlestar_lab.store.models import GATES, Decision, DecisionAnswer
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace

REFINEMENT_REQUEST = {
    "block": "model",
    "blocks": ["setup", "model", "training"],
    "code": "model = make_model()",
    "editable": ["code", "block", "plan"],
}


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    store = RunStore(tmp_path / "mlestar.db")
    store.create_run(run_record("r1"))
    return store


def pending(
    store: RunStore, key: str = "gate/refine/1/1", gate: str = "refinement", **request: object
) -> Decision:
    return store.add_decision(
        Decision(run_id="r1", key=key, gate=gate, title="Try it?", request={**REFINEMENT_REQUEST, **request})
    )


def test_a_decision_is_answered_once_and_announced(store: RunStore) -> None:
    decision = pending(store)
    assert decision.id is not None and decision.status == "pending"
    assert store.decision_by_key("r1", "gate/refine/1/1") == decision
    assert store.decisions("r1", status="pending") == [decision]

    answered = answer_decision(
        store, "r1", decision.id, DecisionAnswer(action="approve", reason="looks right")
    )
    assert answered.status == "approved" and answered.answer is not None
    assert answered.answer.reason == "looks right" and answered.answered_at is not None
    assert store.decisions("r1", status="pending") == []

    with pytest.raises(DecisionConflict, match=r"already answered \(approved\)"):
        answer_decision(store, "r1", decision.id, DecisionAnswer(action="reject", reason="changed my mind"))
    with pytest.raises(DecisionConflict, match="already answered"):
        store.answer_decision("r1", decision.id, DecisionAnswer(action="reject", reason="race"))
    kinds = [
        (e.kind, e.payload.get("decision_id")) for e in store.events("r1") if e.kind.startswith("decision")
    ]
    assert kinds == [("decision.pending", decision.id), ("decision.answered", decision.id)]


def test_unknown_decisions_and_duplicate_keys(store: RunStore) -> None:
    pending(store)
    with pytest.raises(DecisionConflict):
        pending(store)
    with pytest.raises(DecisionNotFound, match="no decision 99"):
        store.get_decision("r1", 99)
    with pytest.raises(DecisionNotFound):
        store.get_decision("other-run", 1)
    with pytest.raises(RunNotFound, match="no run 'other-run'"):
        store.add_decision(Decision(run_id="other-run", key="gate/x", gate="ablation"))


def test_racing_answers_have_exactly_one_winner(store: RunStore) -> None:
    decision = pending(store)
    assert decision.id is not None
    outcomes: list[str] = []

    def answer(action: str) -> None:
        try:
            store.answer_decision("r1", decision.id or 0, DecisionAnswer(action=action, reason="x"))
            outcomes.append("won")
        except DecisionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=answer, args=(a,)) for a in ("approve", "reject") * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["won"]


def test_secrets_in_an_answer_never_reach_the_store(store: RunStore) -> None:
    decision = pending(store)
    code = f"key = '{GOOGLE_KEY}'\nmodel = make_model()"
    answered = answer_decision(
        store, "r1", decision.id or 0, DecisionAnswer(action="edit", code=code, reason=f"uses {GOOGLE_KEY}")
    )
    assert answered.answer is not None
    assert GOOGLE_KEY not in answered.answer.code and GOOGLE_KEY not in (answered.answer.reason or "")
    assert all(GOOGLE_KEY not in str(e.payload) for e in store.events("r1"))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (DecisionAnswer(action="reject"), "needs a reason"),
        (DecisionAnswer(action="approve", code="x = 1"), "approve takes no changes"),
        (DecisionAnswer(action="edit"), "must change something"),
        (DecisionAnswer(action="edit", families=["lightgbm"]), "cannot edit families"),
        (DecisionAnswer(action="edit", code="def broken(:\n"), "does not parse: line 1"),
        (DecisionAnswer(action="edit", code="x = 1", block="nowhere"), "no block 'nowhere'"),
        (DecisionAnswer(action="edit", plan="   "), "plan is empty"),
    ],
)
def test_invalid_answers_say_what_to_fix(store: RunStore, answer: DecisionAnswer, message: str) -> None:
    decision = pending(store)
    with pytest.raises(DecisionInvalid, match=message):
        answer_decision(store, "r1", decision.id or 0, answer)
    assert store.get_decision("r1", decision.id or 0).status == "pending", "a refused answer changes nothing"


def test_a_plan_edit_names_its_block_when_the_step_has_none(store: RunStore) -> None:
    candidate = pending(store, "gate/candidate/1", "candidate", block=None)
    with pytest.raises(DecisionInvalid, match="say which block the plan changes"):
        answer_decision(store, "r1", candidate.id or 0, DecisionAnswer(action="edit", plan="more trees"))
    edit = DecisionAnswer(action="edit", plan="more trees", block="model")
    assert answer_decision(store, "r1", candidate.id or 0, edit).status == "edited"


def test_each_gate_accepts_its_own_edits(store: RunStore) -> None:
    retrieval = pending(
        store, "gate/retrieval", "retrieval", editable=["families"], available_families=["a", "b"]
    )
    with pytest.raises(DecisionInvalid, match="unknown model families c"):
        answer_decision(store, "r1", retrieval.id or 0, DecisionAnswer(action="edit", families=["a", "c"]))
    answer_decision(store, "r1", retrieval.id or 0, DecisionAnswer(action="edit", families=["b"]))
    submission = pending(
        store, "gate/submission", "submission", editable=["step_id"], choices=[{"step_id": 4}]
    )
    with pytest.raises(DecisionInvalid, match="step 5 is not a choice"):
        answer_decision(store, "r1", submission.id or 0, DecisionAnswer(action="edit", step_id=5))
    assert (
        answer_decision(store, "r1", submission.id or 0, DecisionAnswer(action="edit", step_id=4)).status
        == "edited"
    )


def test_waiting_stops_the_budget_clock() -> None:
    now = [100.0]
    budget = Budget(60.0, spent_before=5.0, clock=lambda: now[0])
    now[0] += 10
    assert budget.elapsed() == 15.0
    with budget.paused():
        now[0] += 30
        with budget.paused():  # a second step waiting at the same time counts once
            now[0] += 20
        assert budget.elapsed() == 15.0
    now[0] += 4
    assert budget.elapsed() == 19.0 and budget.remaining() == 41.0


def test_gate_settings() -> None:
    assert parse_gates("auto") == {}
    assert parse_gates("ask") == dict.fromkeys(GATES, "ask")
    assert parse_gates("ask,merge=auto") == {g: "ask" for g in GATES if g != "merge"}
    assert parse_gates("ablation=ask, submission=ask") == {"ablation": "ask", "submission": "ask"}
    with pytest.raises(UserError, match="unknown gate 'ablations'"):
        parse_gates("ablations=ask")
    with pytest.raises(UserError, match="use ask, auto or GATE=ask"):
        parse_gates("refinement=maybe")
    with pytest.raises(ValueError, match="unknown gate"):
        RunConfig(gates={"everything": "ask"})
    assert RunConfig(gates={"ablation": "ask"}).gate_mode("ablation") == "ask"
    assert RunConfig().gate_mode("submission") == "auto"


def test_cli_lists_and_answers_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace = Workspace(tmp_path / "ws")
    store = workspace.open_store()
    store.create_run(run_record("r1"))
    decision = pending(store, diff="-model = old()\n+model = make_model()")
    args = ["--workspace", str(workspace.root)]

    assert main([*args, "decisions", "r1"]) == 0
    listed = capsys.readouterr().out
    assert f"decision {decision.id} · refinement · pending" in listed and "+model = make_model()" in listed

    with pytest.raises(SystemExit):
        main([*args, "reject", "r1", str(decision.id)])  # a rejection without --reason
    assert "--reason" in capsys.readouterr().err
    code = tmp_path / "block.py"
    code.write_text("model = make_model(n_estimators=500)\n")
    assert (
        main([*args, "edit", "r1", str(decision.id), "--code-file", str(code), "--reason", "more trees"]) == 0
    )
    assert "edited" in capsys.readouterr().out
    answer = store.get_decision("r1", decision.id or 0).answer
    assert answer is not None and answer.code == code.read_text() and answer.by == "user"

    assert main([*args, "approve", "r1", str(decision.id)]) == 2
    assert "already answered (edited)" in capsys.readouterr().err
    assert main([*args, "approve", "r1", "42"]) == 2
    assert "no decision 42" in capsys.readouterr().err
