"""The panel's state model on a real run store: what it shows, when it re-reads, how it answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlestar_lab.agent.answers import DecisionInvalid
from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run
from mlestar_lab.errors import UserError
from mlestar_lab.store.decisions import DecisionConflict
from mlestar_lab.store.models import Decision, DecisionAnswer, StepRecord
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace
from mlestar_lab.widget.state import PanelModel, edit_answer

CODE = "model = Ridge(alpha=1.0)\n"


@pytest.fixture
def store_and_run(tmp_path: Path, demo_task_dir: Path) -> tuple[RunStore, str]:
    workspace = Workspace(tmp_path / "ws")
    store = workspace.open_store()
    run = create_run(workspace, store, demo_task_dir, RunConfig(workers=1, gates={"refinement": "ask"}))
    return store, run.id


def _step(run_id: str, key: str, stage: str, score: float, **fields: object) -> StepRecord:
    values: dict[str, object] = {"title": key, "status": "ok", "score": score, **fields}
    return StepRecord(run_id=run_id, key=key, stage=stage, **values)


def _refinement_decision(store: RunStore, run_id: str, step_id: int) -> Decision:
    return store.add_decision(
        Decision(
            run_id=run_id,
            key="gate/refine/1/1",
            gate="refinement",
            step_id=step_id,
            title="model: stronger regularisation",
            request={
                "plan": "alpha 1 → 10",
                "block": "model",
                "blocks": ["load_data", "model", "predict"],
                "code": CODE,
                "diff": "-alpha=1\n+alpha=10\n",
                "editable": ["code", "block", "plan"],
            },
        )
    )


def test_refresh_reads_only_when_the_run_changed(store_and_run: tuple[RunStore, str]) -> None:
    store, run_id = store_and_run
    alive = {"value": False}
    model = PanelModel(store, run_id, lambda run: alive["value"])
    assert model.refresh() is True
    first = model.state
    assert first.run.id == run_id and first.pending == [] and first.scores() == []
    assert model.refresh() is False, "nothing happened, nothing re-read"
    assert model.state is first

    candidate = store.add_step(_step(run_id, "candidate/1-linear", "candidate", 60.0, output_dir="/x"))
    store.update_run(run_id, stage="candidate", status="running")
    assert model.refresh() is True
    state = model.state
    assert state.run.stage == "candidate" and state.seq > first.seq
    assert state.scores() == [(candidate.id, "candidate", 60.0)]
    assert [s["id"] for s in state.report["steps"]] == [candidate.id]

    alive["value"] = True
    assert model.refresh() is True, "an agent coming (or going) changes what the panel shows"
    assert model.state.alive and not model.state.ended
    alive["value"] = False
    store.update_run(run_id, status="finished")
    assert model.refresh() and model.state.ended


def test_pending_decisions_and_answers(store_and_run: tuple[RunStore, str]) -> None:
    store, run_id = store_and_run
    step = store.add_step(_step(run_id, "refine/1/1", "refinement", 58.0, status="pending"))
    model = PanelModel(store, run_id, lambda run: True)
    assert model.state.pending == []
    decision = _refinement_decision(store, run_id, step.id or 0)
    assert model.refresh() and [d.id for d in model.state.pending] == [decision.id]

    with pytest.raises(DecisionInvalid, match="a rejection needs a reason"):
        model.answer(decision.id or 0, DecisionAnswer(action="reject", reason="  "))
    assert store.get_decision(run_id, decision.id or 0).status == "pending", (
        "a refused answer changes nothing"
    )

    answered = model.answer(decision.id or 0, DecisionAnswer(action="approve", reason="looks right"))
    assert answered.status == "approved" and answered.answer and answered.answer.reason == "looks right"
    assert model.state.pending == [], "the answer is shown at once, without waiting for a poll"
    with pytest.raises(DecisionConflict, match="already answered"):
        model.answer(decision.id or 0, DecisionAnswer(action="reject", reason="too late"))


def test_an_answer_from_elsewhere_removes_the_question(store_and_run: tuple[RunStore, str]) -> None:
    store, run_id = store_and_run
    decision = _refinement_decision(
        store, run_id, store.add_step(_step(run_id, "r", "refinement", 1.0)).id or 0
    )
    model = PanelModel(store, run_id, lambda run: True)
    assert len(model.state.pending) == 1
    other = RunStore(store.path)  # the CLI, or the JupyterLab panel, in another process
    other.answer_decision(run_id, decision.id or 0, DecisionAnswer(action="approve"))
    assert model.refresh() and model.state.pending == []


def test_edit_answer_sends_only_what_changed(store_and_run: tuple[RunStore, str]) -> None:
    store, run_id = store_and_run
    decision = _refinement_decision(
        store, run_id, store.add_step(_step(run_id, "r", "refinement", 1.0)).id or 0
    )
    proposal = {"code": CODE, "plan": "alpha 1 → 10"}
    with pytest.raises(UserError, match="nothing was changed"):
        edit_answer(decision, None, **proposal)

    new_code = "model = Ridge(alpha=3.0)\n"
    answer = edit_answer(decision, "3 is enough", **{**proposal, "code": new_code})
    assert (answer.action, answer.code, answer.block, answer.plan) == ("edit", new_code, "model", None)
    assert answer.reason == "3 is enough"

    plan_only = edit_answer(decision, None, **{**proposal, "plan": "alpha 1 → 3"})
    assert plan_only.plan == "alpha 1 → 3" and plan_only.code == CODE, "a new plan carries the code along"

    ablation = Decision(
        run_id=run_id,
        key="gate/ablation/1",
        gate="ablation",
        request={"chosen": "model", "blocks": ["features", "model"], "editable": ["block"]},
    )
    assert edit_answer(ablation, None, block="features").block == "features"
    with pytest.raises(UserError, match="nothing was changed: edit block"):
        edit_answer(ablation, None, block="model")
