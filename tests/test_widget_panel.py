"""`RunPanel` on real runs: its widgets, its buttons, and following a live agent process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run
from mlestar_lab.client import Lab, Run
from mlestar_lab.store.models import Decision, StepRecord
from mlestar_lab.widget.panel import RunPanel

EVIL = "<script>alert('x')</script>"


def wait_until(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)
    return value


@pytest.fixture
def idle_run(tmp_path: Path, demo_task_dir: Path) -> Run:
    """A recorded run with no agent: the test writes what an agent would."""
    lab = Lab(tmp_path / "ws")
    record = create_run(lab.workspace, lab.store, demo_task_dir, RunConfig(workers=1))
    return Run(lab, record.id)


def _ask(run: Run, gate: str, request: dict[str, Any], title: str = "a question") -> Decision:
    return run.lab.store.add_decision(
        Decision(run_id=run.id, key=f"gate/{gate}", gate=gate, title=title, request=request)
    )


def test_buttons_answer_through_the_shared_validation(idle_run: Run) -> None:
    store = idle_run.lab.store
    step = store.add_step(StepRecord(run_id=idle_run.id, key="refine/1/1", stage="refinement", title="t"))
    decision = _ask(
        idle_run,
        "refinement",
        {
            "plan": EVIL,
            "block": "model",
            "blocks": ["features", "model"],
            "code": "x = 1\n",
            "diff": f"+{EVIL}\n",
            "editable": ["code", "block", "plan"],
        },
        title=EVIL,
    )
    panel = RunPanel(idle_run, start=False)
    form = panel.forms[decision.id or 0]
    assert panel.decisions.children == (form,)
    assert {"mlestar-decision", f"mlestar-decision-{decision.id}", "mlestar-gate-refinement"} <= set(
        form._dom_classes
    )
    assert [b.description for b in form.buttons.values()] == ["Approve", "Reject", "Edit"]
    assert "mlestar-approve" in form.buttons["approve"]._dom_classes
    html = form.children[0].value
    assert EVIL not in html and "&lt;script&gt;" in html, "plans and titles are escaped, never markup"

    form.click("reject")
    assert "a rejection needs a reason" in form.message.value
    assert store.get_decision(idle_run.id, decision.id or 0).status == "pending"
    assert not form.buttons["approve"].disabled, "a refused answer leaves the form usable"

    form.fields["code"].value = "x = 2\n"
    form.reason.value = "two is better"
    form.click("edit")
    assert "edited" in form.message.value, form.message.value
    answered = store.get_decision(idle_run.id, decision.id or 0)
    assert answered.status == "edited" and answered.answer is not None
    assert (answered.answer.code, answered.answer.block, answered.answer.reason) == (
        "x = 2\n",
        "model",
        "two is better",
    )
    assert panel.forms == {} and panel.decisions.children == (), "an answered question leaves the panel"
    assert step.id is not None
    panel.close()


def test_the_panel_shows_ablations_plans_ensembles_and_scores(idle_run: Run) -> None:
    store = idle_run.lab.store
    base = store.add_step(
        StepRecord(
            run_id=idle_run.id,
            key="merge",
            stage="merge",
            title="Merge",
            status="ok",
            score=60.0,
            output_dir="/m",
        )
    )
    table = [
        {"block": "features", "description": "d", "status": "ok", "score": 61.5, "delta": 1.5, "runtime": 2.0}
    ]
    store.add_step(
        StepRecord(
            run_id=idle_run.id,
            key="ablation/1",
            stage="ablation",
            title="Ablation study 1",
            status="ok",
            block="features",
            plan="largest Δ",
            score=60.0,
            info={"table": table, "base_step": base.id},
        )
    )
    store.add_step(
        StepRecord(
            run_id=idle_run.id,
            key="refine/1/1",
            stage="refinement",
            title=f"features: ratios {EVIL}",
            plan="add ratios",
            diff="--- a/features\n+++ b/features\n-x = 1\n+x = 2\n",
            status="ok",
            score=58.0,
            delta=2.0,
            output_dir="/r",
        )
    )
    store.add_step(
        StepRecord(
            run_id=idle_run.id,
            key="ensemble/1",
            stage="ensemble",
            title="mean",
            status="ok",
            score=59.0,
            output_dir="/e",
        )
    )
    store.update_run(idle_run.id, stage="ensemble", status="finished", best_score=58.0)
    panel = RunPanel(idle_run)
    assert not panel.poller.running, "a run that has ended is not polled"
    ablations = panel.pages["Ablations & plans"].value
    assert "features ◀ chosen" in ablations and "+1.5" in ablations
    assert "add ratios" in ablations and "+x = 2" in ablations and "+2" in ablations
    assert EVIL not in ablations
    assert "mean" in panel.pages["Ensembles"].value
    plot = panel.pages["Score"].value
    assert plot.startswith("<svg") and plot.count("<circle") == 3
    assert "mlestar-status-finished" in panel.header.value and "58" in panel.header.value
    assert panel.progress.bar_style == "success"
    panel.close()


def test_the_panel_follows_a_live_agent_and_approves(tmp_path: Path, demo_task_dir: Path) -> None:
    lab = Lab(tmp_path / "ws")
    run = lab.start(demo_task_dir, time_budget="5m", gates="retrieval=ask", workers=1, models=1)
    panel = run.panel(interval=0.2)
    try:
        form = wait_until(lambda: next(iter(panel.forms.values()), None), "the retrieval question")
        assert (
            form.decision.gate == "retrieval"
            and "mlestar-edit-families" in form.fields["families"]._dom_classes
        )
        form.click("approve")
        assert lab.store.get_decision(run.id, form.decision.id or 0).status == "approved"
        wait_until(
            lambda: panel.model.state.run.stage == "candidate", "the panel to show the candidate stage"
        )
        assert panel.forms == {}
        shown_again = lab.attach(run.id).panel(interval=0.2)
        assert shown_again.poller.running and not panel.poller.running, "only the newest panel polls"
        shown_again.close()
        panel.refresh_and_follow()
        assert panel.poller.running
        stopped = run.stop()
        assert stopped.status == "interrupted"
        wait_until(lambda: not panel.poller.running, "the panel to stop following an interrupted run")
        assert "mlestar-status-interrupted" in panel.header.value
    finally:
        if run.alive:
            run.stop()
        panel.close()
