"""The panel's HTML and forms: stage pills, the score plot's best-so-far line, per-gate edit fields."""

from __future__ import annotations

from typing import Any

import pytest

from mlestar_lab.errors import UserError
from mlestar_lab.store.models import Decision, DecisionAnswer, RunRecord
from mlestar_lab.widget.decision_form import DecisionForm
from mlestar_lab.widget.plot import best_so_far, score_svg
from mlestar_lab.widget.render import diff_html, stages_html
from mlestar_lab.widget.state import PanelState


def _state(stage: str, status: str, stages: list[str]) -> PanelState:
    run = RunRecord(
        id="r", task_name="t", task_dir="/t", run_dir="/r", strategist="offline", stage=stage, status=status
    )
    report: dict[str, Any] = {"stages": [{"stage": s, "ok": 1, "failed": 0} for s in stages]}
    return PanelState(run=run, alive=True, report=report, steps={}, pending=[], seq=1)


def test_stage_pills_follow_the_loop_back_to_ablation() -> None:
    html = stages_html(_state("ablation", "running", ["candidate", "merge", "ablation", "refinement"]))
    assert 'mlestar-stage-ablation" style="border:2px solid #0969da' in html, "the current stage is outlined"
    assert 'mlestar-stage-refinement" style="background:#ddf4ff' in html, "a stage with steps stays filled"
    assert 'mlestar-stage-ensemble" style="border:1px solid #d0d7de' in html, "not reached yet"
    assert "candidate 1✓" in html


def test_the_best_so_far_line_follows_the_metric_direction() -> None:
    assert best_so_far([3.0, 2.0, 4.0, 1.0], higher_is_better=False) == [3.0, 2.0, 2.0, 1.0]
    assert best_so_far([3.0, 2.0, 4.0, 1.0], higher_is_better=True) == [3.0, 3.0, 4.0, 4.0]
    svg = score_svg([(1, "candidate", 0.8), (2, "refinement", 0.9)], "auc<", True)
    assert "auc&lt; (higher is better)" in svg and svg.count("<circle") == 2
    assert "no scored step yet" in score_svg([], "auc", True)


def test_diffs_are_escaped_and_coloured() -> None:
    html = diff_html("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a = '<b>'\n+a = 1\n")
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert html.count("#ffebe9") == 1 and html.count("#e6ffec") == 1 and html.count("#ddf4ff") == 1
    assert "no change to the code" in diff_html("")


def test_each_gate_offers_its_own_edit_fields() -> None:
    sent: list[DecisionAnswer] = []

    def submit(decision: Decision, answer: DecisionAnswer) -> Decision:
        sent.append(answer)
        return decision.model_copy(update={"status": "edited"})

    retrieval = Decision(
        id=1,
        run_id="r",
        key="gate/retrieval",
        gate="retrieval",
        request={
            "families": [{"name": "lightgbm"}, {"name": "linear"}],
            "available_families": ["lightgbm", "linear", "random_forest"],
            "editable": ["families"],
        },
    )
    form = DecisionForm(retrieval, submit)
    assert set(form.fields) == {"families"} and form.fields["families"].value == ("lightgbm", "linear")
    with pytest.raises(UserError, match="nothing was changed"):
        form.answer("edit")
    form.fields["families"].value = ("random_forest",)
    form.click("edit")
    assert sent[-1].families == ["random_forest"] and form.buttons["approve"].disabled

    submission = Decision(
        id=2,
        run_id="r",
        key="gate/submission",
        gate="submission",
        request={
            "proposed": 7,
            "choices": [
                {"step_id": 7, "title": "best", "score": 1.0},
                {"step_id": 9, "title": "blend", "score": 1.1},
            ],
            "editable": ["step_id"],
        },
    )
    form = DecisionForm(submission, submit)
    assert set(form.fields) == {"step_id"} and not form.buttons["edit"].disabled
    form.fields["step_id"].value = 9
    assert form.answer("edit").step_id == 9

    merge_without_code = Decision(
        id=3, run_id="r", key="gate/m", gate="merge", request={"editable": ["code"]}
    )
    assert DecisionForm(merge_without_code, submit).buttons["edit"].disabled, "nothing to edit, no Edit"
