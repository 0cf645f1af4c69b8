"""Whole MLE-STAR runs with the LLM strategist: the real `google-genai` client and the real
OpenAI-compatible client against local fakes of each wire protocol, replaying scripted replies
that are real code for the demo competition. The loop, the executor, the checkers and the gates
are the very ones the offline strategist goes through."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from fakes.demo_replies import DemoScript
from fakes.llm_server import FakeLLMServer
from llm_fixtures import model_env_fixture, new_key  # noqa: F401  (the model_env fixture)

from mlestar_lab.agent.answers import answer_decision
from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run, execute_run
from mlestar_lab.checks.submission import validate_submission
from mlestar_lab.cli.main import main
from mlestar_lab.store.models import DecisionAnswer
from mlestar_lab.store.store import RunStore
from mlestar_lab.store.workspace import Workspace
from mlestar_lab.task.load import load_task

SMALL = dict(models=2, outer_steps=1, inner_steps=1, ensemble_rounds=1, workers=2, time_budget=240.0)
ALL_STAGES = {"retrieval", "candidate", "merge", "ablation", "refinement", "ensemble", "submission"}


def _run(tmp_path: Path, task_dir: Path, strategist: str, **config: object):
    ws = Workspace(tmp_path / "ws")
    store = RunStore(ws.db_path)
    run = create_run(ws, store, task_dir, RunConfig(strategist=strategist, **{**SMALL, **config}))
    return ws, store, execute_run(ws, store, run.id)


def _assert_valid_submission(final, task_dir: Path) -> None:
    assert final.submission_path and Path(final.submission_path).exists()
    task = load_task(task_dir)
    findings = validate_submission(Path(final.submission_path), task_dir / task.sample_submission_file, task)
    assert not [f for f in findings if f.severity == "error"], findings


def _files_containing(root: Path, secret: str) -> list[str]:
    needle = secret.encode()
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.mark.usefixtures("model_env")
@pytest.mark.slow
def test_gemini_run_through_every_stage(tmp_path, demo_task_dir, monkeypatch, capsys):
    key = new_key("gemini-test-key")
    script = DemoScript(echo=key)
    script.bad["block_coder"].append("I would add interaction features to the model.")  # no code
    script.bad["block_extractor"].append('```json\n{"block": "feature_engineering", "reason": "x"}\n```')
    with FakeLLMServer("gemini", script, key, model="gemini-2.5-flash") as fake:
        fake.fail(3, 429, retry_after="0", role="retrieval")
        fake.fail(1, 503, role="candidate_writer")
        monkeypatch.setenv("GEMINI_API_KEY", key)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        ws, store, final = _run(tmp_path, demo_task_dir, "gemini", model="gemini-2.5-flash")
    assert final.status == "finished", final.error
    _assert_valid_submission(final, demo_task_dir)
    steps = store.steps(final.id)
    assert {s.stage for s in steps} >= ALL_STAGES

    # The real client spoke the real protocol: `:generateContent`, key in x-goog-api-key, search on retrieval.
    assert all(s.path.endswith("models/gemini-2.5-flash:generateContent") for s in fake.seen)
    assert [s.search for s in fake.seen if s.role == "retrieval"] == [True] * 4
    assert [s.status for s in fake.seen if s.role == "retrieval"] == [429, 429, 429, 200]

    retrieval = store.step_by_key(final.id, "retrieval")
    assert [f["source"] for f in retrieval.info["families"]] == ["web search"] * 2
    assert "https://example.org/tabular-benchmarks" in {s["uri"] for s in retrieval.info["llm"]["sources"]}
    assert retrieval.tokens > 0 and retrieval.cost_usd > 0

    # Safety nets: the forest candidate's bad import was debugged, the leaky merge fixed before it ran.
    fixes = [s for s in steps if s.key.endswith("/fix1")]
    assert fixes and fixes[0].status == "ok" and fixes[0].tokens > 0
    merge = store.step_by_key(final.id, "merge/1")
    assert merge.status == "ok" and "leakage_fixed" in merge.info, merge.reason
    assert "scaler" not in merge.diff

    # Repair rounds: the block extractor named a block that does not exist, the coder sent prose.
    study = store.step_by_key(final.id, "ablation/1")
    assert study.block == "features" and study.tokens > 0
    refine = store.step_by_key(final.id, "refine/1/1")
    assert refine.status == "ok" and refine.title == "Add bmi interactions"
    transcripts = sorted((Path(final.run_dir) / "llm").glob("*.json"))
    repairs = [json.loads(p.read_text()) for p in transcripts if json.loads(p.read_text())["repair_round"]]
    assert {r["role"] for r in repairs} == {"block_coder", "block_extractor"}

    # Tokens and cost: per step, totalled per run, shown by `mlestar show`.
    assert final.tokens == sum(
        json.loads(p.read_text()).get("prompt_tokens", 0) + json.loads(p.read_text()).get("output_tokens", 0)
        for p in transcripts
    )
    assert final.tokens == sum(s.tokens for s in steps)
    assert final.cost_usd == pytest.approx(sum(s.cost_usd for s in steps))
    assert main(["--workspace", str(ws.root), "show", final.id]) == 0
    shown = capsys.readouterr().out
    assert f"{final.tokens:,} tokens" in shown and "Model use" in shown

    # The key: echoed by the model into a candidate's code, yet in no file the run wrote.
    ridge = next(s for s in steps if s.stage == "candidate" and "Ridge" in s.title)
    assert "# tried key [redacted]" in (Path(ridge.output_dir) / "candidate.ipynb").read_text()
    assert _files_containing(tmp_path / "ws", key) == []


@pytest.mark.usefixtures("model_env")
@pytest.mark.slow
def test_openai_compatible_run_through_every_stage(tmp_path, demo_task_dir, monkeypatch):
    """No web search here: retrieval comes from the local catalog, every other decision from the model;
    a hung connection times out (2 s in the test config) and the call is retried."""
    key = new_key("openai-test-key")
    script = DemoScript()
    with FakeLLMServer("openai", script, key, model="llama3.1") as fake:
        fake.fail(1, 0, role="candidate_writer")  # hangs until the server stops
        fake.fail(2, 500, role="ablation_designer")
        monkeypatch.setenv("OPENAI_API_KEY", key)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        _, store, final = _run(tmp_path, demo_task_dir, "openai", model="llama3.1")
    assert final.status == "finished", final.error
    _assert_valid_submission(final, demo_task_dir)
    steps = store.steps(final.id)
    assert {s.stage for s in steps} >= ALL_STAGES
    assert final.strategist == "openai" and final.model == "llama3.1"

    assert "retrieval" not in fake.roles(), "no web search: the catalog answers retrieval"
    retrieval = store.step_by_key(final.id, "retrieval")
    assert {f["source"] for f in retrieval.info["families"]} == {"catalog"}
    assert all(s.path == "/v1/chat/completions" for s in fake.seen)
    assert all(s.headers["Authorization"] == f"Bearer {key}" for s in fake.seen)
    hung = [s for s in fake.seen if s.status == 0]
    assert len(hung) == 1 and hung[0].role == "candidate_writer"
    assert [s.status for s in fake.seen if s.role == "ablation_designer"] == [500, 500, 200]

    transcripts = [json.loads(p.read_text()) for p in (Path(final.run_dir) / "llm").glob("*.json")]
    retried = [t for t in transcripts if t["retries"]]
    assert {t["role"] for t in retried} == {"candidate_writer", "ablation_designer"}
    assert any("did not answer in time" in r["error"] for t in retried for r in t["retries"])
    # A local model has no list price: its tokens are counted, its cost is 0.
    assert final.tokens == sum(s.tokens for s in steps) > 0 and final.cost_usd == 0
    assert _files_containing(tmp_path / "ws", key) == []


@pytest.mark.usefixtures("model_env")
@pytest.mark.slow
def test_a_run_stopped_by_its_cost_cap_ends_with_a_valid_submission(tmp_path, demo_task_dir, monkeypatch):
    """Through the CLI, as a user starts it: `mlestar run DIR --strategist gemini --model M --max-cost X`."""
    key = new_key("gemini-test-key")
    script = DemoScript()
    workspace = tmp_path / "ws"
    with FakeLLMServer("gemini", script, key, model="gemini-2.5-pro") as fake:
        monkeypatch.setenv("GOOGLE_API_KEY", key)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        # Enough for retrieval and the candidates with their reviews, far from enough for the whole loop.
        flags = "--strategist gemini --model gemini-2.5-pro --max-cost 0.05 --quiet --workers 2 --models 2"
        args = [*flags.split(), "--outer-steps", "1", "--inner-steps", "1", "--ensemble-rounds", "1"]
        assert main(["--workspace", str(workspace), "run", str(demo_task_dir), *args]) == 0
    store = RunStore(Workspace(workspace).db_path)
    (final,) = store.list_runs()
    assert (final.strategist, final.model, final.config["max_cost_usd"]) == ("gemini", "gemini-2.5-pro", 0.05)
    assert final.status == "finished", final.error
    _assert_valid_submission(final, demo_task_dir)
    assert final.cost_usd >= 0.05
    calls = len(fake.roles())
    per_call = final.cost_usd / calls
    assert final.cost_usd - per_call < 0.05, "no call is made once the cap is reached"
    steps = store.steps(final.id)
    assert not [s for s in steps if s.stage in ("refinement", "ensemble") and s.output_dir]
    events = [e.payload for e in store.events(final.id) if e.kind == "budget"]
    assert any(e.get("stopped") == "model spend cap reached" for e in events)
    source = store.get_step(store.step_by_key(final.id, "submission").info["source_step"])
    assert source.stage in ("candidate", "merge") and source.score == final.best_score


@pytest.mark.slow
@pytest.mark.usefixtures("model_env")
def test_an_interrupted_llm_run_resumes_without_asking_again(tmp_path, demo_task_dir, monkeypatch):
    """Stopped right after the block was chosen; the resumed run asks the model only for what is left,
    and its token total goes on from where it was."""
    key = new_key("gemini-test-key")
    cancel = threading.Event()
    script = DemoScript()

    def respond(role: str, prompt: str) -> str:
        if role == "block_extractor":
            cancel.set()
        return script(role, prompt)

    ws = Workspace(tmp_path / "ws")
    store = RunStore(ws.db_path)
    with FakeLLMServer("gemini", respond, key, model="gemini-2.5-flash") as fake:
        monkeypatch.setenv("GEMINI_API_KEY", key)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        run = create_run(ws, store, demo_task_dir, RunConfig(strategist="gemini", **SMALL))
        stopped = execute_run(ws, store, run.id, cancel)
        assert stopped.status == "interrupted", stopped.error
        asked_before = len(fake.seen)
        final = execute_run(ws, store, run.id)
    assert final.status == "finished", final.error
    assert final.tokens > stopped.tokens > 0
    assert final.tokens == sum(s.tokens for s in store.steps(run.id))
    roles = fake.roles()
    for role in ("retrieval", "candidate_writer", "merger", "ablation_designer", "block_extractor"):
        assert role not in roles[asked_before:], f"{role} asked again after the resume"
    assert "refinement_planner" in roles[asked_before:]
    names = sorted(p.name for p in (Path(final.run_dir) / "llm").glob("*.json"))
    assert [int(n[:4]) for n in names] == list(range(1, len(fake.seen) + 1))


@pytest.mark.slow
@pytest.mark.usefixtures("model_env")
def test_the_llm_strategist_goes_through_the_same_gates(tmp_path, demo_task_dir, monkeypatch):
    """The user picks another block at the ablation gate and rejects the first plan with a reason; the
    model's next plan is asked for that block and its prompt carries the user's reason."""
    key = new_key("gemini-test-key")
    ws = Workspace(tmp_path / "ws")
    store = RunStore(ws.db_path)
    answered: list[str] = []
    stop = threading.Event()

    def user(run_id: str) -> None:
        while not stop.is_set():
            for decision in store.decisions(run_id, status="pending"):
                if decision.gate == "ablation":
                    answer = DecisionAnswer(action="edit", block="model", reason="the model matters more")
                elif "refinement" not in answered:
                    answer = DecisionAnswer(action="reject", reason="interactions overfit on 331 rows")
                else:
                    answer = DecisionAnswer(action="approve")
                answer_decision(store, run_id, decision.id or 0, answer)
                answered.append(decision.gate)
            stop.wait(0.05)

    config = RunConfig(
        strategist="gemini",
        **{**SMALL, "workers": 1, "inner_steps": 2, "ensemble_rounds": 0},
        gates={"ablation": "ask", "refinement": "ask"},
    )
    with FakeLLMServer("gemini", DemoScript(), key, model="gemini-2.5-flash") as fake:
        monkeypatch.setenv("GEMINI_API_KEY", key)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        run = create_run(ws, store, demo_task_dir, config)
        thread = threading.Thread(target=user, args=(run.id,), daemon=True)
        thread.start()
        try:
            final = execute_run(ws, store, run.id)
        finally:
            stop.set()
            thread.join()
    assert final.status == "finished", final.error
    assert answered == ["ablation", "refinement", "refinement"]
    first, second = store.step_by_key(run.id, "refine/1/1"), store.step_by_key(run.id, "refine/1/2")
    assert first.status == "rejected" and first.decided_by == "user-rejected" and first.block == "model"
    assert second.decided_by == "user-approved" and second.status == "ok"
    plans = [s.prompt for s in fake.seen if s.role == "refinement_planner"]
    assert len(plans) == 2 and "improve block `model`" in plans[0]
    assert "the user said: interactions overfit on 331 rows" in plans[1]
