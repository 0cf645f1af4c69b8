"""The `mlestar` command line: one-line errors for bad input, listing and showing runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlestar_lab.cli.main import main


def _run(capsys, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--workspace", str(tmp_path / "ws"), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_task_folder_is_one_line(capsys, tmp_path):
    code, _, err = _run(capsys, tmp_path, "run", str(tmp_path / "nowhere"))
    assert code == 2
    assert err.startswith("mlestar: ") and err.count("\n") == 1


def test_task_folder_without_sample_submission_says_what_to_add(capsys, tmp_path, demo_task_dir):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("train.csv", "test.csv", "description.md"):
        (broken / name).write_bytes((Path(demo_task_dir) / name).read_bytes())
    code, _, err = _run(capsys, tmp_path, "run", str(broken))
    assert code == 2 and err.count("\n") == 1
    assert "sample_submission" in err


def test_bad_options_are_refused_before_anything_runs(capsys, tmp_path, demo_task_dir):
    code, _, err = _run(capsys, tmp_path, "run", str(demo_task_dir), "--time-budget", "soon")
    assert code == 2 and "5m" in err
    code, _, err = _run(capsys, tmp_path, "run", str(demo_task_dir), "--strategist", "oracle")
    assert code == 2 and "offline" in err
    code, _, err = _run(capsys, tmp_path, "run", str(demo_task_dir), "--workers", "0")
    assert code == 2 and "workers" in err
    code, out, _ = _run(capsys, tmp_path, "runs")
    assert code == 0 and "no runs yet" in out


def test_unknown_run_names_the_command_that_lists_runs(capsys, tmp_path):
    code, _, err = _run(capsys, tmp_path, "show", "nope")
    assert code == 2 and "mlestar runs" in err
    code, _, err = _run(capsys, tmp_path, "resume", "nope")
    assert code == 2 and "mlestar runs" in err


@pytest.mark.parametrize("flag", ["--metric", "--target"])
def test_task_overrides_are_validated(capsys, tmp_path, demo_task_dir, flag):
    code, _, err = _run(capsys, tmp_path, "run", str(demo_task_dir), flag, "no-such-thing")
    assert code == 2 and err.count("\n") == 1 and "no-such-thing" in err
