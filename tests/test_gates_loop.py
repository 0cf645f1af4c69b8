"""The loop with every gate on "ask", answered by a user in another thread: approve, reject, edit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import nbformat
import pandas as pd

from mlestar_lab.agent.answers import answer_decision
from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run, execute_run
from mlestar_lab.store.models import GATES, Decision, DecisionAnswer
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace

USER_MARK = "# tuned by hand"
CONFIG = dict(models=2, outer_steps=1, inner_steps=2, ensemble_rounds=1, workers=2, time_budget=240.0)


class User:
    """Answers each pending decision as a demanding user would, and remembers what it saw."""

    def __init__(self, store: RunStore, run_id: str):
        self.store, self.run_id = store, run_id
        self.seen: dict[str, Decision] = {}
        self.refinements = 0
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        try:
            while not self.stop.is_set():
                for decision in self.store.decisions(self.run_id, status="pending"):
                    self.seen[decision.key] = decision
                    answer_decision(self.store, self.run_id, decision.id or 0, self.answer(decision))
                time.sleep(0.05)
        except BaseException as exc:
            self.errors.append(exc)

    def answer(self, decision: Decision) -> DecisionAnswer:
        request = decision.request
        if decision.gate == "retrieval":
            self.first_family = request["families"][0]["name"]
            return DecisionAnswer(
                action="edit", families=["linear", self.first_family], reason="keep it diverse"
            )
        if decision.gate == "ablation":
            other = next(b for b in request["blocks"] if b not in (request["chosen"], "setup", "load_data"))
            self.ablation_choice = (request["chosen"], other)
            return DecisionAnswer(action="edit", block=other, reason="I want to see this block refined")
        if decision.gate == "refinement":
            self.refinements += 1
            if self.refinements == 1:
                code = f"{USER_MARK}\n{request['code']}"
                return DecisionAnswer(action="edit", code=code, plan="the same, marked", reason="my version")
            return DecisionAnswer(action="reject", reason="too slow for what it promises")
        return DecisionAnswer(action="approve", reason=f"fine ({decision.gate})")


def test_a_run_with_every_gate_asking(tmp_path: Path, demo_task_dir: str) -> None:
    workspace = Workspace(tmp_path / "ws")
    store = RunStore(workspace.db_path)
    run = create_run(workspace, store, demo_task_dir, RunConfig(**CONFIG, gates=dict.fromkeys(GATES, "ask")))
    user = User(store, run.id)
    user.thread.start()
    try:
        final = execute_run(workspace, store, run.id)
    finally:
        user.stop.set()
        user.thread.join()
    assert not user.errors, user.errors
    assert final.status == "finished", final.error
    gates_seen = {d.gate for d in user.seen.values()}
    assert gates_seen == set(GATES), gates_seen
    assert store.decisions(run.id, status="pending") == []

    retrieval = store.step_by_key(run.id, "retrieval")
    assert retrieval is not None and retrieval.decided_by == "user-edited"
    assert retrieval.decision_reason == "keep it diverse"
    assert [f["name"] for f in retrieval.info["families"]] == ["linear", user.first_family]
    candidates = [s for s in store.steps(run.id, stage="candidate") if s.key.startswith("candidate/")]
    assert sorted(s.key for s in candidates) == sorted(
        ["candidate/1-linear", f"candidate/2-{user.first_family}"]
    )
    assert all(s.decided_by == "user-approved" for s in candidates)

    ablation = store.step_by_key(run.id, "ablation/1")
    assert ablation is not None and ablation.decided_by == "user-edited"
    assert ablation.block == user.ablation_choice[1] and "the user chose" in ablation.plan

    refinements = store.steps(run.id, stage="refinement")
    edited = [s for s in refinements if s.decided_by == "user-edited"]
    rejected = [s for s in refinements if s.decided_by == "user-rejected"]
    assert len(edited) == 1 and len(rejected) == 1
    assert edited[0].status in ("ok", "error") and edited[0].title.endswith("(edited by the user)")
    assert edited[0].plan == "the same, marked" and USER_MARK in edited[0].diff
    executed = nbformat.read(edited[0].notebook_path, as_version=4)
    assert any(USER_MARK in cell.source for cell in executed.cells), "the user's code is what ran"
    assert rejected[0].status == "rejected" and "too slow" in (rejected[0].reason or "")
    assert rejected[0].notebook_path is None, "a rejected notebook never runs"

    submission = store.step_by_key(run.id, "submission")
    assert submission is not None and submission.decided_by == "user-approved"
    sample = pd.read_csv(Path(demo_task_dir) / "sample_submission.csv")
    assert list(pd.read_csv(final.submission_path).columns) == list(sample.columns)


def test_a_rejected_submission_leaves_the_run_without_one(tmp_path: Path, demo_task_dir: str) -> None:
    workspace = Workspace(tmp_path / "ws")
    store = RunStore(workspace.db_path)
    config = RunConfig(
        **{**CONFIG, "models": 1, "outer_steps": 0, "ensemble_rounds": 0}, gates={"submission": "ask"}
    )
    run = create_run(workspace, store, demo_task_dir, config)

    def reject_when_asked() -> None:
        while not (found := store.decisions(run.id, status="pending")):
            time.sleep(0.05)
        choices = found[0].request["choices"]
        assert choices and choices[0]["step_id"] == found[0].request["proposed"]
        answer_decision(
            store, run.id, found[0].id or 0, DecisionAnswer(action="reject", reason="not good enough")
        )

    user = threading.Thread(target=reject_when_asked, daemon=True)
    user.start()
    final = execute_run(workspace, store, run.id)
    user.join(timeout=5)
    assert final.status == "finished" and final.submission_path is None
    submission = store.step_by_key(run.id, "submission")
    assert submission is not None and submission.status == "rejected"
    assert submission.decided_by == "user-rejected" and "not good enough" in (submission.reason or "")
    assert not (Path(final.run_dir) / "submission.csv").exists()
