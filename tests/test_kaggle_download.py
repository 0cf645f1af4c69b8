"""`mlestar kaggle download` through the real `kaggle` client against the local fake Kaggle API."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fakes.kaggle_data import KAGGLE_HOME, SAMPLE, TEST, TOKEN, TRAIN
from fakes.kaggle_server import DROP, FakeCompetition, FakeKaggle

from mlestar_lab.cli.main import main
from mlestar_lab.kaggle.client import KaggleSession
from mlestar_lab.kaggle.credentials import find_credentials
from mlestar_lab.kaggle.download import COMPETITION_FILE, download_competition
from mlestar_lab.kaggle.errors import KaggleAuthError, KaggleNotFound, KaggleUnavailable
from mlestar_lab.kaggle.metrics import map_kaggle_metric
from mlestar_lab.task.load import load_task

pytest_plugins = ("kaggle_fixtures",)


def test_download_unzips_everything_and_takes_the_metric_from_kaggle(fake_kaggle: FakeKaggle, tmp_path: Path):
    target = tmp_path / "tiny-titanic"
    result = download_competition(KaggleSession(), "https://www.kaggle.com/competitions/tiny-titanic", target)

    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert "train.csv" in files and not [f for f in files if f.endswith(".zip")]
    assert {"test.csv", "sample_submission.csv", "extra/notes.txt", "description.md"} <= set(files)
    description = (target / "description.md").read_text()
    assert description.startswith("# Tiny Titanic") and "Evaluation metric: auc" in description
    assert "Who survived?" in description  # the competition's pages
    assert 'metric = "auc"' in (target / "mlestar-task.toml").read_text()
    assert json.loads((target / COMPETITION_FILE).read_text())["slug"] == "tiny-titanic"
    assert result.problems == []
    task = load_task(target)
    assert (task.metric, task.target, task.task_type) == ("auc", "Survived", "binary")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_an_unsupported_metric_is_named_and_the_files_still_arrive(fake_kaggle: FakeKaggle, tmp_path: Path):
    fake_kaggle.add_competition(
        FakeCompetition(
            "map-comp",
            "Mapping",
            "MAP@{K}",
            {
                "train.csv": b"id,y\n1,a\n",
                "test.csv": TEST.encode(),
                "sample_submission.csv": SAMPLE.encode(),
            },
        )
    )
    result = download_competition(KaggleSession(), "map-comp", tmp_path / "m")
    assert result.competition.metric is None
    assert "'MAP@{K}', which mlestar does not support" in result.problems[0]
    assert "mlestar-task.toml" in result.problems[0]
    assert (tmp_path / "m" / "train.csv").is_file()


def test_kaggle_metric_names_map_to_project_metrics():
    assert map_kaggle_metric("Categorization Accuracy") == "accuracy"
    assert map_kaggle_metric("Root Mean Squared Logarithmic Error") == "rmsle"
    assert map_kaggle_metric("Log Loss", n_prediction_columns=3) == "mlogloss"
    assert map_kaggle_metric("MeanFScore") == "f1"
    assert map_kaggle_metric("Quadratic Weighted Kappa") is None


@pytest.mark.parametrize(
    ("failure", "error", "words"),
    [
        (401, KaggleAuthError, "rejected the credentials from KAGGLE_API_TOKEN"),
        (404, KaggleNotFound, "HTTP 404"),
        (DROP, KaggleUnavailable, "lost the connection"),
    ],
)
def test_failures_are_clear_and_leave_no_folder(fake_kaggle, tmp_path, failure, error, words):
    fake_kaggle.fail["DownloadDataFiles"] = failure
    with pytest.raises(error, match=words):
        download_competition(KaggleSession(), "tiny-titanic", tmp_path / "t")
    assert list(tmp_path.iterdir()) == [tmp_path / KAGGLE_HOME]


def test_an_unknown_competition_is_a_404_before_anything_is_written(fake_kaggle, tmp_path):
    with pytest.raises(KaggleNotFound, match="check the spelling"):
        download_competition(KaggleSession(), "no-such-competition", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_missing_credentials_say_exactly_what_to_set(fake_kaggle, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("KAGGLE_API_TOKEN")
    with pytest.raises(
        KaggleAuthError, match=r"set KAGGLE_API_TOKEN=<token>.*KAGGLE_USERNAME and KAGGLE_KEY"
    ):
        find_credentials()
    monkeypatch.setenv("KAGGLE_USERNAME", "tester")
    with pytest.raises(KaggleAuthError, match="KAGGLE_KEY is not set"):
        find_credentials()
    assert main(["--workspace", str(tmp_path / "ws"), "kaggle", "download", "tiny-titanic"]) == 2
    assert "KAGGLE_KEY is not set" in capsys.readouterr().err


def test_a_legacy_kaggle_json_key_is_sent_as_basic_auth(fake_kaggle, monkeypatch, tmp_path):
    monkeypatch.delenv("KAGGLE_API_TOKEN")
    config = tmp_path / KAGGLE_HOME / ".kaggle"
    config.mkdir()
    (config / "kaggle.json").write_text(json.dumps({"username": "legacy", "key": "0123456789abcdef" * 2}))
    fake_kaggle.keys["legacy"] = "0123456789abcdef" * 2
    session = KaggleSession()
    assert session.credentials.source.endswith("kaggle.json") and session.username == "legacy"
    download_competition(session, "tiny-titanic", tmp_path / "t")
    assert (tmp_path / "t" / "train.csv").is_file()


def test_the_cli_downloads_and_reports(fake_kaggle, tmp_path, capsys):
    code = main(
        [
            "--workspace",
            str(tmp_path / "ws"),
            "kaggle",
            "download",
            "tiny-titanic",
            "--dir",
            str(tmp_path / "d"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Tiny Titanic" in out and "metric: auc" in out
    assert TOKEN not in out


def test_nothing_imports_the_kaggle_package_until_a_call_is_made():
    code = (
        "import sys, mlestar_lab.cli.main, mlestar_lab.server.app, mlestar_lab.kaggle.pull, "
        "mlestar_lab.kaggle.push, mlestar_lab.kaggle.submit, mlestar_lab.kaggle.download\n"
        "assert not [m for m in sys.modules if m == 'kaggle' or m.startswith(('kaggle.', 'kagglesdk'))], "
        "sorted(m for m in sys.modules if m.startswith('kaggle'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_differently_named_sample_submission_is_set_in_the_task_settings(fake_kaggle, tmp_path):
    files = {"train.csv": TRAIN.encode(), "test.csv": TEST.encode(), "gender_submission.csv": SAMPLE.encode()}
    fake_kaggle.add_competition(
        FakeCompetition("titanic-ish", "Titanic-ish", "Categorization Accuracy", files)
    )
    result = download_competition(KaggleSession(), "titanic-ish", tmp_path / "t")
    assert result.problems == []
    assert (
        'sample_submission_file = "gender_submission.csv"'
        in (tmp_path / "t" / "mlestar-task.toml").read_text()
    )
    assert load_task(tmp_path / "t").metric == "accuracy"


def test_prints_of_concurrent_kaggle_calls_stay_in_their_own_thread(capsys):
    from concurrent.futures import ThreadPoolExecutor

    from mlestar_lab.kaggle.quiet import captured_stdout

    original = sys.stdout
    ready = threading.Barrier(2)

    def call(name: str) -> str:
        with captured_stdout() as printed:
            ready.wait(timeout=10)
            print(f"kaggle says {name}")
            ready.wait(timeout=10)
        return printed.getvalue()

    with ThreadPoolExecutor(2) as threads:
        assert list(threads.map(call, ["a", "b"])) == ["kaggle says a\n", "kaggle says b\n"]
    print("ours")
    assert sys.stdout is original and capsys.readouterr().out == "ours\n"
