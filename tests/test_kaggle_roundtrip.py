"""pull → the loop runs the imported notebook as a candidate → push → status → submit, all through
the real `kaggle` client against the fake Kaggle API; failures leave the run intact."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import pytest
from fakes.kaggle_data import LOAD, MODEL, SCORE, SUBMIT, TOKEN, kaggle_notebook, public_kernel
from fakes.kaggle_server import DROP, FakeKaggle, FakeKernel

from mlestar_lab.agent.config import RunConfig
from mlestar_lab.agent.lifecycle import create_run, execute_run
from mlestar_lab.cli.main import main
from mlestar_lab.cli.show import render_report
from mlestar_lab.errors import UserError
from mlestar_lab.fsutil import write_notebook
from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.download import COMPETITION_FILE, download_competition
from mlestar_lab.kaggle.errors import KaggleAuthError, KaggleNotFound, KaggleUnavailable, NotebookImportError
from mlestar_lab.kaggle.importer import import_notebook, parameter_defaults
from mlestar_lab.kaggle.pull import pull_kernel
from mlestar_lab.kaggle.push import PushOptions, push_kernel
from mlestar_lab.kaggle.status import follow
from mlestar_lab.kaggle.submit import submit_run
from mlestar_lab.notebook.candidate import Block, new_notebook
from mlestar_lab.report import run_report
from mlestar_lab.store.models import StepRecord
from mlestar_lab.store.workspace import Workspace

pytest_plugins = ("kaggle_fixtures",)


def test_pull_run_push_status_submit(
    fake_kaggle: FakeKaggle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    fake_kaggle.add_kernel(public_kernel())
    workspace = Workspace(tmp_path / "ws")
    store = workspace.open_store()
    session = KaggleSession()
    config = RunConfig(time_budget=240, workers=2, models=1, outer_steps=1, inner_steps=2, ensemble_rounds=0)

    result = pull_kernel(session, workspace, store, "someone/simple-logreg", config, None, tmp_path)
    assert Path(result.task_dir) == (tmp_path / "tiny-titanic").resolve()  # downloaded for the kernel
    assert result.imported.blocks == ["load-the-data", "model", "submission"]
    imported = nbformat.read(
        Path(result.run.run_dir) / result.run.config["starting_notebooks"][0], as_version=4
    )
    code = "\n".join(c.source for c in imported.cells if c.cell_type == "code")
    assert "/kaggle/" not in code and "../input" not in code
    assert "f'{DATA_DIR}/train.csv'" in code and "f'{OUTPUT_DIR}/submission.csv'" in code
    assert "# mlestar: shell command disabled" in code

    run = execute_run(workspace, store, result.run.id)
    assert run.status == "finished", run.error
    step = next(s for s in store.steps(run.id) if s.key.startswith("candidate/import-"))
    assert step.status == "ok" and step.score is not None and 0.5 < step.score <= 1.0
    assert step.title == "Imported from Kaggle: someone/simple-logreg"
    assert any(f.checker == "score" for f in step.findings)  # its own validation: not verifiable on our folds
    assert any(s.key.startswith("candidate/1-") and s.status == "ok" for s in store.steps(run.id))
    # Fare separates the classes, so the imported logistic regression is the best candidate and the
    # outer step refines it: its estimator's hyper-parameters, nothing else of the block.
    assert run.best_step_id == step.id
    refinements = [s for s in store.steps(run.id) if s.stage == "refinement"]
    assert refinements and all(s.parent_id == step.id and s.block == "model" for s in refinements)
    assert {s.title for s in refinements} <= {
        "LogisticRegression: weaker regularisation",
        "LogisticRegression: stronger regularisation",
    }
    assert all(s.status == "ok" for s in refinements)
    assert all("-model = LogisticRegression(max_iter=500)" in s.diff for s in refinements)

    pushed = push_kernel(session, store, run, PushOptions(gpu=True))
    assert pushed.info["source_step"] == store.get_run(run.id).best_step_id
    saved = fake_kaggle.saved_kernels[-1]
    assert saved["slug"] == pushed.info["kernel"] and saved["slug"].startswith("tester/mlestar-")
    assert saved["competitionDataSources"] == ["tiny-titanic"]
    assert saved["enableInternet"] is False and saved["isPrivate"] is True and saved["enableGpu"] is True
    notebook = nbformat.reads(saved["text"], as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    parameters = next(c.source for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert (
        "DATA_DIR = '/kaggle/input/tiny-titanic'" in parameters
        and "OUTPUT_DIR = '/kaggle/working'" in parameters
    )
    assert str(tmp_path) not in saved["text"] and TOKEN not in saved["text"]
    kernel = tmp_path / "kernel.ipynb"
    kernel.write_text(saved["text"])
    out = tmp_path / "kernel-out"
    out.mkdir()  # /kaggle/working always exists on Kaggle
    papermill.execute_notebook(  # runs alone: no run folder, no saved folds, no member predictions
        str(kernel),
        str(tmp_path / "ran.ipynb"),
        parameters={"DATA_DIR": run.task_dir, "OUTPUT_DIR": str(out)},
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert (out / "submission.csv").read_text().splitlines()[0] == "PassengerId,Survived"
    metadata = json.loads((Path(run.run_dir) / "kaggle/kernel/kernel-metadata.json").read_text())
    assert metadata["competition_sources"] == ["tiny-titanic"] and metadata["enable_internet"] is False

    assert follow(session, store, run).kernel.info["kernel_status"] == "complete"

    submitted = submit_run(session, store, run, "first try")
    sent = fake_kaggle.submissions[-1]
    assert sent["data"] == Path(run.submission_path or "").read_bytes()
    assert sent["submissionDescription"] == "first try" and sent["competitionName"] == "tiny-titanic"
    assert submitted.key == "kaggle/submit/1" and submitted.info["ref"] == sent["ref"]
    followed = follow(session, store, run).submission
    assert followed.info["submission_status"] == "complete" and followed.info["public_score"] == "0.81"

    info_file = Path(run.task_dir) / COMPETITION_FILE
    info = json.loads(info_file.read_text())
    info_file.write_text(json.dumps({**info, "kernels_only": True}))  # a code competition
    code_submission = submit_run(session, store, run, "as code")
    sent = fake_kaggle.submissions[-1]
    assert sent["kernelSlug"] == pushed.info["kernel"].split("/")[1] and sent["fileName"] == "submission.csv"
    assert (
        code_submission.key == "kaggle/submit/2" and code_submission.info["kernel"] == pushed.info["kernel"]
    )
    info_file.write_text(json.dumps(info))
    recorded = run_report(store, run.id)["kaggle"]
    assert (
        recorded["kernel"]["key"] == pushed.key and recorded["kernel"]["info"]["kernel_status"] == "complete"
    )
    assert recorded["submission"]["key"] == "kaggle/submit/2"
    shown = render_report(run_report(store, run.id))
    assert f"kernel {pushed.info['kernel']}" in shown and "submission" in shown and "tiny-titanic" in shown

    before = [s.model_dump() for s in store.steps(run.id)]
    for method, failure, error in [
        ("CreateSubmission", 404, KaggleNotFound),
        ("StartSubmissionUpload", DROP, KaggleUnavailable),
        ("SaveKernel", 401, KaggleAuthError),
    ]:
        fake_kaggle.fail = {method: failure}
        with pytest.raises(error):
            if method == "SaveKernel":
                push_kernel(session, store, run, PushOptions())
            else:
                submit_run(session, store, run, None)
    assert [s.model_dump() for s in store.steps(run.id)] == before
    assert store.get_run(run.id).status == "finished"
    assert TOKEN.encode() not in (workspace.root / "mlestar.db").read_bytes()
    written = [p for p in Path(run.run_dir).rglob("*") if p.is_file()]
    assert any(p.name == "executed.ipynb" for p in written)
    assert not [p for p in written if TOKEN.encode() in p.read_bytes()]


def test_a_notebook_without_the_score_line_names_the_likely_variable():
    nb = nbformat.reads(public_kernel(with_score=False).source, as_version=4)
    with pytest.raises(NotebookImportError, match=r"never prints .*--score-variable val_auc"):
        import_notebook(nb, "someone/simple-logreg", {"tiny-titanic"}, parameter_defaults("/data"))
    imported = import_notebook(
        nb, "x/y", {"tiny-titanic"}, parameter_defaults("/data"), score_variable="val_auc"
    )
    assert imported.blocks[-1] == "score"
    assert "Final Validation Performance: {float(val_auc)}" in imported.notebook.cells[-1].source
    warned = import_notebook(nb, "x/y", {"tiny-titanic"}, parameter_defaults("/d"), "val_auc", metric="rmse")
    assert warned.warnings == [
        "val_auc is computed with roc_auc_score, but the competition is scored with rmse; the loop compares "
        "it with the other candidates' rmse scores, so score the same predictions with rmse instead"
    ]
    assert (
        import_notebook(nb, "x/y", {"tiny-titanic"}, parameter_defaults("/d"), "val_auc", "auc").warnings
        == []
    )
    with pytest.raises(NotebookImportError, match="never assigns 'nope'"):
        import_notebook(nb, "x/y", {"tiny-titanic"}, parameter_defaults("/data"), score_variable="nope")


def test_a_notebook_reading_other_data_is_refused_with_the_paths():
    source = kaggle_notebook(
        ("code", "import pandas as pd\nv = pd.read_csv('/kaggle/input/glove/vectors.csv')")
    )
    with pytest.raises(NotebookImportError, match="/kaggle/input/glove"):
        import_notebook(
            nbformat.reads(source, as_version=4), "x/y", {"tiny-titanic"}, parameter_defaults("/d")
        )


def test_pull_of_an_unknown_kernel_is_a_clear_404_and_creates_no_run(fake_kaggle, tmp_path):
    workspace = Workspace(tmp_path / "ws")
    store = workspace.open_store()
    with pytest.raises(KaggleNotFound, match="pulling kernel someone/missing-kernel"):
        pull_kernel(KaggleSession(), workspace, store, "someone/missing-kernel", RunConfig(), None, tmp_path)
    assert store.list_runs() == []


def test_the_cli_pulls_without_running_and_refuses_a_notebook_without_a_score(fake_kaggle, tmp_path, capsys):
    fake_kaggle.add_kernel(public_kernel())
    fake_kaggle.add_kernel(
        FakeKernel(
            "someone",
            "no-score-here",
            "No score here",
            public_kernel(with_score=False).source,
            ["tiny-titanic"],
        )
    )
    workspace = tmp_path / "ws"
    task = tmp_path / "task"
    assert (
        main(["--workspace", str(workspace), "kaggle", "download", "tiny-titanic", "--dir", str(task)]) == 0
    )
    args = ["--workspace", str(workspace), "kaggle", "pull", "--task", str(task), "--no-run"]
    assert main([*args, "https://www.kaggle.com/code/someone/simple-logreg"]) == 0
    err = capsys.readouterr().err
    assert (
        "imported as blocks load-the-data, model, submission" in err
        and "f'{OUTPUT_DIR}/submission.csv'" in err
    )
    (run,) = Workspace(workspace).open_store().list_runs()
    assert run.status == "created" and run.config["starting_notebooks"]

    assert main([*args, "someone/no-score-here"]) == 2
    assert "--score-variable val_auc" in capsys.readouterr().err
    assert len(Workspace(workspace).open_store().list_runs()) == 1


def test_a_script_kernel_is_imported_with_one_block_per_paragraph(fake_kaggle, tmp_path):
    script = LOAD + "\n\n\n" + MODEL + "\n" + SCORE + "\n\n\n" + SUBMIT + "\n"
    fake_kaggle.add_kernel(
        FakeKernel("someone", "plain-script", "Plain script", script, ["tiny-titanic"], kernel_type="script")
    )
    workspace = Workspace(tmp_path / "ws")
    store = workspace.open_store()
    result = pull_kernel(
        KaggleSession(), workspace, store, "someone/plain-script", RunConfig(), None, tmp_path
    )
    assert len(result.imported.blocks) == 3
    assert [b.startswith("cell-") for b in result.imported.blocks] == [True, True, True]
    assert "f'{OUTPUT_DIR}/submission.csv'" in "".join(result.imported.rewrites)


def test_an_ensemble_of_saved_predictions_is_not_pushed_and_the_best_single_solution_is_named(
    fake_kaggle, tmp_path
):
    workspace = Workspace(tmp_path / "ws")
    store = workspace.open_store()
    task = tmp_path / "t"
    download_competition(KaggleSession(), "tiny-titanic", task)
    run = create_run(workspace, store, task, RunConfig())

    def solution(key: str, stage: str, score: float, parameters: dict) -> StepRecord:
        step = store.add_step(StepRecord(run_id=run.id, key=key, stage=stage, status="ok", score=score))
        folder = workspace.step_dir(run.id, step.id or 0, key)
        write_notebook(new_notebook([Block("m", "model", "x = 1")], parameters), folder / "candidate.ipynb")
        return store.update_step(step.id or 0, output_dir=str(folder), title=key)

    single = solution("candidate/1-linear", "candidate", 0.8, {"DATA_DIR": str(task)})
    blend = solution("ensemble/1", "ensemble", 0.9, {"DATA_DIR": str(task), "MEMBER_DIRS": ["/x", "/y"]})
    store.add_step(
        StepRecord(run_id=run.id, key="submission", stage="submission", info={"source_step": blend.id})
    )
    with pytest.raises(UserError, match=rf"cannot run on Kaggle alone; push .* --step {single.id}"):
        push_kernel(KaggleSession(), store, run, PushOptions())
    assert fake_kaggle.saved_kernels == []
    pushed = push_kernel(KaggleSession(), store, run, PushOptions(step_id=single.id))
    assert pushed.info["source_step"] == single.id and fake_kaggle.saved_kernels
