"""The bundled demo competitions: real data, Kaggle layout, deterministic, idempotent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn import datasets

from mlestar_lab.demo.competition import build_classification_demo, build_demo_task
from mlestar_lab.task.infer import explicit_task_type
from mlestar_lab.task.metrics import find_metric_in_text

FILES = ["description.md", "sample_submission.csv", "test.csv", "train.csv"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_regression_demo_holds_the_real_diabetes_data(tmp_path: Path) -> None:
    demo_task_dir = build_demo_task(tmp_path / "diabetes")
    train = pd.read_csv(demo_task_dir / "train.csv")
    test = pd.read_csv(demo_task_dir / "test.csv")
    sample = pd.read_csv(demo_task_dir / "sample_submission.csv")
    assert sorted(p.name for p in demo_task_dir.iterdir()) == FILES
    assert (len(train), len(test)) == (331, 111)
    features = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert list(train.columns) == ["id", *features, "progression"] and list(test.columns) == ["id", *features]
    assert sorted([*train["id"], *test["id"]]) == list(range(442))
    assert train["id"].is_monotonic_increasing and test["id"].max() > train["id"].min()
    assert sample["id"].tolist() == test["id"].tolist() and list(sample.columns) == ["id", "progression"]

    original = datasets.load_diabetes(scaled=False, as_frame=True).frame
    shipped = pd.concat([train[features], test[features]]).to_numpy(dtype=float)
    assert _sorted_rows(shipped) == _sorted_rows(original[features].to_numpy())
    labelled = train[[*features, "progression"]].to_numpy(dtype=float)
    assert set(_sorted_rows(labelled)) <= set(_sorted_rows(original.to_numpy()))


def _sorted_rows(values) -> list[tuple[float, ...]]:
    return sorted(tuple(row) for row in values.round(6).tolist())


def test_descriptions_state_type_target_and_metric(
    demo_task_dir: Path, binary_task_dir: Path, multiclass_task_dir: Path
) -> None:
    expected = {demo_task_dir: ("regression", "rmse"), binary_task_dir: ("binary", "auc")}
    expected[multiclass_task_dir] = ("multiclass", "mlogloss")
    for folder, (task_type, metric) in expected.items():
        text = (folder / "description.md").read_text()
        assert explicit_task_type(text) == task_type
        assert find_metric_in_text(text).name == metric
        assert "## Overview" in text and "## Files" in text and "| column |" in text


def test_build_is_deterministic_and_seeded(tmp_path: Path) -> None:
    first = _files(build_demo_task(tmp_path / "a", seed=3))
    assert first == _files(build_demo_task(tmp_path / "b", seed=3))
    assert first["train.csv"] != _files(build_demo_task(tmp_path / "c", seed=4))["train.csv"]


def test_rebuilding_keeps_unchanged_files_and_repairs_changed_ones(tmp_path: Path) -> None:
    folder = build_classification_demo(tmp_path / "bc")
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    (folder / "test.csv").write_text("broken\n")
    original_test = _files(build_classification_demo(tmp_path / "fresh"))["test.csv"]
    assert build_classification_demo(folder) == folder
    assert (folder / "test.csv").read_bytes() == original_test
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.name != "test.csv"} == {
        name: stamp for name, stamp in stamps.items() if name != "test.csv"
    }


def test_classification_demos_use_real_labels(binary_task_dir: Path, multiclass_task_dir: Path) -> None:
    train = pd.read_csv(binary_task_dir / "train.csv")
    assert len(train) + len(pd.read_csv(binary_task_dir / "test.csv")) == 569
    cancer = datasets.load_breast_cancer(as_frame=True)
    original = cancer.data.rename(columns=lambda name: name.replace(" ", "_")).assign(label=cancer.target)
    joined = train.merge(original, on=[c for c in original.columns if c != "label"], how="left")
    assert joined["label"].notna().all()
    assert ((joined["malignant"] == 1) == (joined["label"] == 0)).all()
    assert abs(train["malignant"].mean() - 212 / 569) < 0.01

    wine = pd.read_csv(multiclass_task_dir / "train.csv")
    sample = pd.read_csv(multiclass_task_dir / "sample_submission.csv")
    assert sorted(wine["cultivar"].unique()) == ["class_0", "class_1", "class_2"]
    assert list(sample.columns) == ["id", "class_0", "class_1", "class_2"]
    assert (sample.drop(columns="id").sum(axis=1) - 1).abs().max() < 1e-3
