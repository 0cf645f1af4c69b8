"""The data-usage checker: every file read or skipped on purpose, dropped columns recorded."""

from __future__ import annotations

import textwrap

from conftest import make_task as base_task

from mlestar_lab.checks.usage import check_data_usage
from mlestar_lab.notebook.candidate import Block, new_notebook
from mlestar_lab.store.models import Finding
from mlestar_lab.task.model import ColumnInfo, FileInfo, Task

TRAIN_COLUMNS = ["id", "a", "b", "c", "store", "price"]
IMAGES = [f"images/{i}.png" for i in range(7)]


def make_task(extra: list[str]) -> Task:
    paths = ["description.md", "train.csv", "test.csv", "sample_submission.csv", *extra]
    return base_task(
        columns=[
            ColumnInfo(name=c, kind="numeric", dtype="float64", n_unique=9, missing_fraction=0)
            for c in TRAIN_COLUMNS
        ],
        files=[
            FileInfo(path=p, kind="table" if p.endswith(".csv") else "other", size=10, columns=None)
            for p in paths
        ],
    )


TASK = make_task(["extra/stores.csv", "extra/oil.csv", "extra/holidays.csv", "meta.json", *IMAGES])

READS = """
import glob
train = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
test = pd.read_csv(os.path.join(DATA_DIR, "test.csv"))
sample = pd.read_csv(os.path.join(DATA_DIR, "sample_submission.csv"))
stores = pd.read_csv(f"{DATA_DIR}/extra/stores.csv")
for name in ["oil"]:
    tables = pd.read_csv(f"{DATA_DIR}/extra/{name}.csv")
meta = [json.load(open(p)) for p in glob.glob(DATA_DIR + "/*.json")]
"""


def messages(findings: list[Finding], severity: str) -> list[str]:
    return [f.message for f in findings if f.severity == severity]


def test_unread_files_are_reported_and_read_ones_are_not() -> None:
    findings = check_data_usage(READS + "# we could also read extra/holidays.csv one day\n", TASK)
    assert messages(findings, "warning") == [
        "extra/holidays.csv is never read — join it on a shared key or state why it is skipped "
        "(`# mlestar: skip extra/holidays.csv — <reason>`)",
        "images/ (7 files) is never read — use its files or state why they are skipped "
        "(`# mlestar: skip images/ — <reason>`)",
    ]
    assert all(f.checker == "data_usage" for f in findings)


def test_main_files_unread_and_description_ignored() -> None:
    findings = check_data_usage("import pandas as pd\n", make_task([]))
    assert messages(findings, "warning") == [
        "train.csv is never read — a solution must train on it",
        "test.csv is never read — a solution must predict its rows",
        "sample_submission.csv is never read — read it to write the submission in its format "
        "(columns, row order)",
    ]


def test_skip_declarations_become_info_findings() -> None:
    code = READS + textwrap.dedent(
        """
        # mlestar: skip extra/holidays.csv — no key shared with train
        # mlestar: skip images/ — 7 image files, not tables
        # mlestar: skip column c — not in the test table
        # mlestar: skip extra/weather.csv — does not exist
        # mlestar: skip meta.json
        """
    )
    findings = check_data_usage(code, TASK)
    assert messages(findings, "info") == [
        "extra/holidays.csv skipped on purpose: no key shared with train",
        "images/ skipped on purpose: 7 image files, not tables",
        "column c skipped on purpose: not in the test table",
        "meta.json skipped on purpose: no reason given",
    ]
    assert messages(findings, "warning") == [
        "`# mlestar: skip extra/weather.csv` names no file of the task (files: train.csv, test.csv, "
        "sample_submission.csv, extra/stores.csv, extra/oil.csv, extra/holidays.csv, meta.json, "
        "images/0.png, …)"
    ]
    first_line = READS.count("\n") + 2
    assert [f.line for f in findings if f.severity == "info"] == [
        first_line,
        first_line + 1,
        first_line + 2,
        first_line + 4,
    ]


def test_dropped_train_columns_are_listed_but_unmentioned_columns_are_fine() -> None:
    code = READS + textwrap.dedent(
        """
        X = train.drop(columns=["a", "price", "id"])
        X = X.drop(["b"], axis=1)
        Z = X.drop("store", axis="columns")
        rows = X.drop([0, 1])
        keep = X.drop(columns=["not_a_column"])
        both = X.drop(labels=["a", "b"], axis=1)
        """
    )
    findings = check_data_usage(code, make_task(["extra/stores.csv", "extra/oil.csv", "meta.json"]))
    first = READS.count("\n") + 2
    dropped = [(f.message, f.line) for f in findings if f.severity == "info"]
    assert dropped == [
        ("train columns dropped on purpose: a", first),
        ("train columns dropped on purpose: b", first + 1),
        ("train columns dropped on purpose: store", first + 2),
        ("train columns dropped on purpose: a, b", first + 5),
    ]
    assert messages(findings, "warning") == []


def test_notebook_blocks_locate_declarations() -> None:
    nb = new_notebook(
        [
            Block("load", "load", READS.strip()),
            Block(
                "aux",
                "load",
                "x = 1\n# mlestar: skip extra/holidays.csv: no shared key\n# mlestar: skip images/ -- no",
            ),
        ],
        parameters={"DATA_DIR": "/data/prices"},
    )
    findings = check_data_usage(nb, TASK)
    assert [(f.severity, f.block, f.line, f.message) for f in findings] == [
        ("info", "aux", 2, "extra/holidays.csv skipped on purpose: no shared key"),
        ("info", "aux", 3, "images/ skipped on purpose: no"),
    ]


def test_a_folder_of_many_files_is_read_through_its_name_alone() -> None:
    task = make_task(["extra/stores.csv", "extra/oil.csv", *IMAGES])
    code = READS.replace('for name in ["oil"]:', "for name in []:") + textwrap.dedent(
        """
        pictures = [Image.open(f"{DATA_DIR}/images/{i}.png") for i in test["id"]]
        """
    )
    assert messages(check_data_usage(code, task), "warning") == [
        "extra/oil.csv is never read — join it on a shared key or state why it is skipped "
        "(`# mlestar: skip extra/oil.csv — <reason>`)"
    ]


def test_names_match_whole_file_names_only() -> None:
    task = make_task(["a.csv", "data.csv"])
    code = READS + 'extra = pd.read_csv(DATA_DIR + "/data.csv")\n'
    assert messages(check_data_usage(code, task), "warning") == [
        "a.csv is never read — join it on a shared key or state why it is skipped "
        "(`# mlestar: skip a.csv — <reason>`)"
    ]
