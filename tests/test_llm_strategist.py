"""The LLM strategist role by role against a fake Gemini server: replies become notebooks and
choices, a reply that does not parse or names a block the notebook lacks gets one repair round,
then the call fails cleanly with the reply kept; spend is charged and capped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.demo_replies import FEATURES, RIDGE, DemoScript, solution
from fakes.llm_server import FakeLLMServer
from llm_fixtures import model_env_fixture, new_key  # noqa: F401  (the model_env fixture)

from mlestar_lab.llm.usage import SpendCapReached, SpendLedger
from mlestar_lab.notebook.candidate import blocks, get_block
from mlestar_lab.store.models import ErrorInfo, Finding
from mlestar_lab.strategist.base import AblationRow, Attempt, Draft, ModelFamily, PlanNotUnderstood, Solution
from mlestar_lab.strategist.llm.parse import python_code
from mlestar_lab.strategist.llm.prompts import role_of, template
from mlestar_lab.strategist.llm.scripts import solution_notebook
from mlestar_lab.strategist.llm.session import ReplyUnusable
from mlestar_lab.strategist.registry import make_strategist
from mlestar_lab.task.load import load_task

ROLES = [
    *("retrieval", "candidate", "merge", "ablation_design", "ablation_summary", "block_choice"),
    *("refine_plan", "block_code", "ensemble_plan", "ensemble_code", "debug"),
    *("leakage_check", "leakage_fix", "data_usage"),
]


@pytest.fixture
def gemini(tmp_path, monkeypatch, model_env):
    """(strategist, fake server, script, ledger, run folder) with a fresh key."""
    key = new_key("unit-key")
    script = DemoScript()
    with FakeLLMServer("gemini", script, key, model="gemini-2.5-flash") as fake:
        monkeypatch.setenv("GEMINI_API_KEY", key)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        ledger = SpendLedger()
        strategist = make_strategist("gemini", "gemini-2.5-flash", ledger=ledger, run_dir=tmp_path)
        yield strategist, fake, script, ledger, tmp_path


@pytest.fixture
def task(demo_task_dir):
    return load_task(demo_task_dir)


def _solution(task, tmp_path: Path) -> Solution:
    nb = solution_notebook(python_code(solution(RIDGE)), {"DATA_DIR": task.root}, {"title": "ridge"})
    return Solution(
        step_id=1, notebook=nb, score=55.0, output_dir=str(tmp_path / "s1"), title="Candidate: Ridge"
    )


def test_every_role_has_a_template_stating_the_contract():
    for name in ROLES:
        text = template(name).template
        assert role_of(text), name
        writes_code = "python fence" in text
        assert not writes_code or "$contract" in text, f"{name} writes code without the contract"
    contract = template("contract").template
    for term in ("parameters cell", "FOLDS_FILE", "Final Validation Performance", "oof_predictions.csv"):
        assert term in contract


def test_implement_plan_rewrites_only_the_named_block(gemini, task):
    strategist, fake, _, ledger, tmp_path = gemini
    base = _solution(task, tmp_path)
    draft = strategist.implement_plan(task, base.notebook, "features", "Add bmi interactions.")
    assert draft.block == "features" and draft.plan == "Add bmi interactions." and draft.info["user_plan"]
    assert "bmi_sq" in get_block(draft.notebook, "features").source
    unchanged = [
        b.name for b in blocks(draft.notebook) if b.source == get_block(base.notebook, b.name).source
    ]
    assert unchanged == ["load_data", "model", "train_and_save"]
    assert fake.roles() == ["block_coder", "leakage_checker"]
    assert "Add bmi interactions." in fake.seen[0].prompt and ledger.tokens > 0
    with pytest.raises(PlanNotUnderstood, match="no block 'features_v2'; its blocks are load_data, features"):
        strategist.implement_plan(task, base.notebook, "features_v2", "x")


def test_a_malformed_reply_is_repaired_once(gemini, task):
    strategist, fake, script, _, tmp_path = gemini
    script.bad["refinement_planner"].append("Sure! I would add interaction features.")
    draft = strategist.plan_refinement(task, _solution(task, tmp_path), "features", [])
    assert draft is not None and draft.title == "Add bmi interactions"
    assert fake.roles()[:2] == ["refinement_planner", "refinement_planner"]
    assert "Your previous answer could not be used: it has no ```json fenced block" in fake.seen[1].prompt


def test_a_reply_that_stays_unusable_fails_cleanly_and_is_kept(gemini, task):
    strategist, _, script, _, tmp_path = gemini
    broken = "```python\ndef features(:\n```"
    script.bad["block_coder"].extend([broken, broken])
    with pytest.raises(
        ReplyUnusable, match=r"the code is not valid Python: .* \(reply kept in llm/0002-block_coder.json\)"
    ):
        strategist.implement_plan(task, _solution(task, tmp_path).notebook, "features", "anything")
    kept = json.loads((tmp_path / "llm" / "0002-block_coder.json").read_text())
    assert kept["reply"] == broken and kept["repair_round"] == 1


def test_a_block_that_is_not_in_the_notebook_gets_a_repair_round(gemini, task):
    strategist, fake, script, _, tmp_path = gemini
    wrong = json.dumps([{"block": "feature_engineering", "description": "plain", "code": FEATURES}])
    script.bad["ablation_designer"].append(f"```json\n{wrong}\n```")
    variants = strategist.design_ablation(task, _solution(task, tmp_path))
    assert [v.block for v in variants] == ["model"]
    assert "block feature_engineering is not in the notebook" in fake.seen[1].prompt

    script.bad["block_extractor"].extend(['{"block": "nope", "reason": "x"}'] * 2)
    table = [AblationRow("model", "ridge only", "ok", 56.0, 1.0, 1.0)]
    with pytest.raises(ReplyUnusable, match="block 'nope' is not in the notebook"):
        strategist.choose_block(task, _solution(task, tmp_path), table, [])


def test_debug_and_leakage_fixes_replace_existing_blocks(gemini, task):
    strategist, fake, _, _, tmp_path = gemini
    base = _solution(task, tmp_path)

    draft = Draft(base.notebook, "Candidate: Ridge")
    fixed = strategist.debug(task, draft, ErrorInfo(block="model", ename="ImportError", evalue="x"), 1)
    assert "RandomForestRegressor" in get_block(fixed.notebook, "model").source
    assert fixed.title == "Candidate: Ridge (fix 1)" and "ImportError" in fixed.plan
    finding = Finding(
        checker="leakage", severity="error", message="scaler fitted on test rows", block="features"
    )
    clean = strategist.fix_leakage(task, draft, [finding])
    assert clean.info["leakage_fixed"] == ["scaler fitted on test rows"]
    assert "scaler fitted on test rows (block features" in fake.seen[-1].prompt


def test_refinement_plans_see_earlier_attempts(gemini, task):
    strategist, fake, _, _, tmp_path = gemini
    history = [Attempt("Log target", "Predict log(progression).", "ok", 56.1, -1.1, "features")]
    strategist.plan_refinement(task, _solution(task, tmp_path), "features", history)
    assert "- Log target (ok, score 56.1, Δscore -1.1): Predict log(progression)." in fake.seen[0].prompt


def test_the_spend_cap_refuses_further_calls(gemini, task):
    strategist, fake, _, ledger, tmp_path = gemini
    ledger.max_tokens = 1
    strategist.retrieve(task, 2)
    assert ledger.exhausted()
    with ledger.tally() as used, pytest.raises(SpendCapReached, match="tokens"):
        strategist.implement_plan(task, _solution(task, tmp_path).notebook, "model", "anything")
    assert "SpendCapReached" in strategist.retrieve(task, 1)[0].source
    assert len(fake.seen) == 1 and used.tokens == 0


def test_tallies_charge_each_thread_its_own_calls():
    import threading

    ledger = SpendLedger()
    seen: dict[str, int] = {}

    def work(name: str, tokens: int) -> None:
        with ledger.tally() as used:
            ledger.charge(tokens, 0.0, f"{name}.json", [])
        seen[name] = used.tokens

    threads = [threading.Thread(target=work, args=(f"t{i}", i + 1)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"t0": 1, "t1": 2, "t2": 3, "t3": 4} and ledger.tokens == 10


def test_the_llm_leakage_review_rewrites_what_it_flags(gemini, task):
    strategist, _, script, _, tmp_path = gemini
    verdict = (
        '```json\n{"leakage": true, "findings": [{"block": "features", "message": "scaled on test"}]}\n```'
    )
    script.bad["leakage_checker"].append(f"{verdict}\n```python\n# %% block: features\nX = 1\n```")
    draft = strategist.implement_plan(task, _solution(task, tmp_path).notebook, "model", "Blend two models.")
    review = draft.info["llm_review"]["leakage"]
    assert review["status"] == "revised" and review["verdict"]["findings"][0]["message"] == "scaled on test"
    assert get_block(draft.notebook, "features").source == "X = 1"


def test_a_review_that_fails_leaves_the_draft_and_says_why(gemini, task):
    strategist, _, script, _, _ = gemini
    script.bad["leakage_checker"].extend(['{"leakage": true}'] * 2)  # a problem, but no corrected code
    script.bad["data_usage_checker"].append('```json\n{"all_used": false, "notes": "extra.csv unused"}\n```')
    revised = "```python\n# %% block: load_data\nx = 2\n```"
    script.bad["data_usage_checker"].append(
        f'```json\n{{"all_used": false, "notes": "extra.csv"}}\n```\n{revised}'
    )

    draft = strategist.write_candidate(task, ModelFamily("ridge", "Ridge regression", "linear", "Ridge()"))
    leakage, usage = draft.info["llm_review"]["leakage"], draft.info["llm_review"]["data_usage"]
    assert leakage["status"] == "not reviewed" and "no ```python fence" in leakage["reason"]
    assert usage["status"] == "revised" and get_block(draft.notebook, "load_data").source == "x = 2"
    assert (
        "RIDGE" not in get_block(draft.notebook, "model").source
        and "Ridge(" in get_block(draft.notebook, "model").source
    )


def test_retrieval_falls_back_to_the_catalog_and_says_why(gemini, task):
    strategist, fake, script, _, _ = gemini
    script.bad["retrieval"].extend(["I recommend gradient boosting."] * 2)
    families = strategist.retrieve(task, 2)
    assert len(families) == 2 and all(
        f.source.startswith("catalog: web retrieval failed (ReplyUnusable") for f in families
    )
    assert [s.search for s in fake.seen] == [True, True]
