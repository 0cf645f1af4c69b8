"""The static leakage checker: leaky snippets are caught, clean idioms are left alone."""

from __future__ import annotations

import textwrap

import nbformat
import pytest
from conftest import make_task

from mlestar_lab.checks.leakage import check_leakage
from mlestar_lab.notebook.candidate import Block, new_notebook

TASK = make_task()

LOAD = """
import os
import pandas as pd
train = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
test = pd.read_csv(os.path.join(DATA_DIR, "test.csv"))
FEATURES = [c for c in train.columns if c in test.columns and c != "id"]
X, y = train[FEATURES], train["price"]
X_test = test[FEATURES]
"""

LEAKY = {
    "scaler on concat": (
        "StandardScaler().fit(pd.concat([X, X_test]))",
        "error",
        "train and test rows together",
    ),
    "fit_transform on concatenated frame": (
        "all_df = pd.concat([train, test])\nZ = StandardScaler().fit_transform(all_df)",
        "error",
        "`all_df` comes from a concatenation of train and test rows",
    ),
    "encoder on test frame": (
        "test_df = pd.read_csv(f'{DATA_DIR}/test.csv')\nenc = OrdinalEncoder()\nenc.fit(test_df)",
        "error",
        "fits on test rows",
    ),
    "unnamed frame read from the test file": (
        "holdout = pd.read_csv(Path(DATA_DIR) / 'test.csv')\nimputer = SimpleImputer().fit(holdout)",
        "error",
        "rows read from 'test.csv'",
    ),
    "encoders fitted per frame": (
        "for df in [train, test]:\n    df['c'] = LabelEncoder().fit_transform(df['c'])",
        "error",
        "fits on test rows",
    ),
    "label lists added together": (
        "le.fit(list(train['c']) + list(test['c']))",
        "error",
        "fits on test rows",
    ),
    "tfidf on both texts": (
        "tfidf = TfidfVectorizer()\ntfidf.fit(pd.concat([train.text, test.text]))",
        "error",
        "train and test rows together",
    ),
    "cross validation over test rows": (
        "scores = cross_val_score(model, pd.concat([X, X_test]), y)",
        "error",
        "train and test rows together",
    ),
    "pseudo labels": ("model.fit(X_test, pseudo_labels)", "error", "fits on test rows"),
    "booster trained on a test dataset": (
        "booster = lgb.train(params, lgb.Dataset(X_test, pseudo_labels))",
        "error",
        "fits on test rows",
    ),
    "resampling the concatenation": (
        "X_all = pd.concat([X, X_test])\nX_res, y_res = SMOTE().fit_resample(X_all, y_all)",
        "error",
        "train and test rows together",
    ),
    "inside a helper function": (
        "def prep(train_df, test_df):\n    return StandardScaler().fit(pd.concat([train_df, test_df]))",
        "error",
        "train and test rows together",
    ),
    "target mean per category as a feature": (
        "train['te'] = train.groupby('c')['price'].transform('mean')",
        "error",
        "computes target statistics over all training rows",
    ),
    "target aggregated by agg": (
        "means = train.groupby('c').agg({'price': 'mean'})",
        "error",
        "computes target statistics",
    ),
    "grouped target series": ("te = y.groupby(train['c']).transform('mean')", "error", "target statistics"),
    "printed target statistics": (
        "print(train.groupby('c')['price'].mean())",
        "warning",
        "target statistics",
    ),
    "target column of test": ("y_true = test['price']", "error", "reads the target column of test data"),
    "target attribute of test": ("y_true = X_test.price", "error", "reads the target column of test data"),
    "mask over a train+test frame": (
        "both = pd.concat([X, X_test])\nmodel.fit(both[mask], y)",
        "warning",
        "may fit on test rows",
    ),
    "validation rows fitted": ("model.fit(X_val, y_val)", "warning", "named like the validation rows"),
    "counts taken over test rows": (
        "train['n'] = train['c'].map(pd.concat([train['c'], test['c']]).value_counts())\n"
        "model.fit(train[FEATURES], y)",
        "warning",
        "may fit on test rows",
    ),
}


@pytest.mark.parametrize("name", list(LEAKY))
def test_leaks_are_found(name: str) -> None:
    snippet, severity, fragment = LEAKY[name]
    findings = check_leakage(LOAD + snippet, TASK)
    assert findings, f"no finding for {name}"
    assert [f.severity for f in findings] == [severity], findings
    assert fragment in findings[0].message
    assert findings[0].checker == "leakage"
    assert findings[0].line == (LOAD + snippet).count("\n") + 1  # every snippet leaks on its last line


CLEAN = {
    "fold loop": """
        oof = np.zeros(len(X))
        test_pred = np.zeros(len(X_test))
        for fold, (tr, va) in enumerate(kf.split(X, y)):
            model = lgb.LGBMRegressor()
            model.fit(X.iloc[tr], y.iloc[tr], eval_set=[(X.iloc[va], y.iloc[va])])
            oof[va] = model.predict(X.iloc[va])
            test_pred += model.predict(X_test) / 5
        sub = pd.DataFrame({"id": test["id"], "price": test_pred})
        sub.to_csv(os.path.join(OUTPUT_DIR, "submission.csv"), index=False)
    """,
    "target encoding inside the fold loop": """
        for train_idx, valid_idx in folds:
            part = train.iloc[train_idx]
            means = part.groupby("c")["price"].mean()
            X.loc[X.index[valid_idx], "te"] = X["c"].iloc[valid_idx].map(means)
    """,
    "target encoding in a helper": """
        def target_mean(fit_rows, rows):
            return rows["c"].map(fit_rows.groupby("c")["price"].mean())
    """,
    "encoder fitted on train": """
        enc = OrdinalEncoder()
        X[["c"]] = enc.fit_transform(X[["c"]])
        X_test[["c"]] = enc.transform(X_test[["c"]])
        pipe = make_pipeline(StandardScaler(), Ridge()).fit(X, y)
        pred = pipe.predict(X_test)
    """,
    "holdout named test": """
        X_train, X_test2, y_train, y_test = train_test_split(X, y, test_size=0.2)
        model.fit(X_train, y_train, eval_set=[(X_test2, y_test)])
    """,
    "dummies on both then sliced back": """
        n = len(train)
        both = pd.get_dummies(pd.concat([train.drop(columns=["price"]), test]))
        model.fit(both.iloc[:n], y)
        model.fit(both[:len(train)], y)
        model.fit(both.head(n), y)
        X_back = both.iloc[n:]
        pred = model.predict(X_back)
    """,
    "split back by a train flag or the target": """
        full = pd.concat([train.assign(is_train=1), test.assign(is_train=0)])
        model.fit(full[full["is_train"] == 1], y)
        model.fit(full.query("is_train == 1"), y)
        model.fit(full[full["price"].notna()], y)
    """,
    "features built on both frames in a loop": """
        for df in (train, test):
            df["ratio"] = df["a"] / df["b"]
        model.fit(train[FEATURES], y)
    """,
    "column lists taken from test": """
        common = train.columns.intersection(test.columns)
        X2 = train.drop(columns=[c for c in train.columns if c not in test.columns])
        X3 = train.reindex(columns=test.columns)
        model.fit(X2, y)
        model.fit(train[common], y)
        model.fit(X3, y)
        print(len(test), test.shape)
    """,
    "auxiliary table joined to both": """
        train, test = join_table(train, test, stores, "store")
        model.fit(train[FEATURES], train["price"])
    """,
    "names that merely contain the letters test": """
        latest = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
        test_scaler = StandardScaler()
        test_scaler.fit(latest)
        contest = latest.copy()
        model.fit(contest, y)
    """,
    "booster with validation set": """
        booster = lgb.train(params, lgb.Dataset(X_tr, y_tr), valid_sets=[lgb.Dataset(X_va, y_va)])
    """,
    "averaged test predictions written to the submission": """
        preds = np.mean([m.predict(X_test) for m in models], axis=0)
        test["price"] = preds
        test[["id", "price"]].to_csv("submission.csv", index=False)
        meta = Ridge().fit(np.column_stack([oof_a, oof_b]), y)
    """,
    "feature statistics over both frames": """
        train["m"] = train.groupby("c")["x"].transform("mean")
        counts = pd.concat([train, test]).groupby("c")["x"].mean()
    """,
}


@pytest.mark.parametrize("name", list(CLEAN))
def test_clean_idioms_are_not_flagged(name: str) -> None:
    assert check_leakage(LOAD + textwrap.dedent(CLEAN[name]), TASK) == []


FULL = "full = pd.concat([train.assign(is_train=1), test.assign(is_train=0)])\n"
TRAIN_ROWS = [
    'full[full["is_train"] == 1]',
    'full[full["is_train"] != 0]',
    'full[~(full["is_train"] == 0)]',
    'full[full.split == "train"]',
    'full[full["price"].notna()]',
    'full[~full["price"].isna()]',
    "full[full.is_train]",
    "full.loc[full.is_train == 1, FEATURES]",
    "full.query(\"split != 'test'\")",
]
TEST_ROWS = [
    "full",
    'full[full["is_train"] == 0]',
    'full[full.split == "test"]',
    'full[full.split != "train"]',
    'full[full["price"].isna()]',
    "full[~full.is_train]",
    "full.iloc[len(train):]",
    "full.tail(len(test))",
    'full.query("is_train == 0")',
    "full.values[:, 1:]",
]


@pytest.mark.parametrize("rows", TRAIN_ROWS)
def test_training_rows_selected_from_train_and_test_are_clean(rows: str) -> None:
    assert check_leakage(f"{LOAD}{FULL}model.fit({rows}, y)", TASK) == []


@pytest.mark.parametrize("rows", TEST_ROWS)
def test_test_rows_selected_from_train_and_test_are_leaks(rows: str) -> None:
    assert [f.severity for f in check_leakage(f"{LOAD}{FULL}model.fit({rows}, y)", TASK)] == ["error"]


def test_findings_name_the_block_and_the_line_within_it() -> None:
    nb = new_notebook(
        [
            Block("load", "load", LOAD.strip()),
            Block("features", "features", "scaler = StandardScaler()\n\nscaler.fit(pd.concat([X, X_test]))"),
            Block("train", "training", "model.fit(X, y)"),
        ],
        parameters={"DATA_DIR": "/data/prices"},
    )
    findings = check_leakage(nb, TASK)
    assert [(f.block, f.line, f.severity) for f in findings] == [("features", 3, "error")]


def test_unparsable_cells_and_magics() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\n!pip install lightgbm\n" + LOAD),
        nbformat.v4.new_code_cell("def broken(:\n    pass"),
        nbformat.v4.new_code_cell("%%time\nthis is not python"),
        nbformat.v4.new_code_cell("model.fit(pd.concat([X, X_test]), y)"),
    ]
    findings = check_leakage(nb, TASK)
    assert [(f.severity, f.line) for f in findings] == [("warning", 1), ("error", 1)]
    assert "cell 1 does not parse" in findings[0].message
    assert "fits on train and test rows together" in findings[1].message


def test_code_too_deep_to_analyse_is_a_warning_not_a_crash() -> None:
    for terms in (300, 700, 3000):
        findings = check_leakage("x = " + " + ".join(["a"] * terms))
        assert all(f.severity == "warning" and "leakage" in f.message for f in findings)


def test_without_a_task_names_and_paths_still_count() -> None:
    code = textwrap.dedent(
        """
        tst = pd.read_csv("../input/test_data.csv")
        enc = OneHotEncoder().fit(tst)
        train["te"] = train.groupby("c")[target].transform("mean")
        """
    )
    findings = check_leakage(code)
    assert [(f.severity, f.line) for f in findings] == [("error", 3), ("error", 4)]
    assert check_leakage("print('test accuracy')\nmodel.fit(X, y)") == []


def test_rejects_other_inputs() -> None:
    with pytest.raises(TypeError, match="expected a notebook or a code string"):
        check_leakage(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "root", ["/tmp/pytest-of-me/test_extra_table0/comp", "/home/me/contest", "/x/test-run"]
)
def test_folders_named_like_tests_are_not_test_data(root: str) -> None:
    nb = new_notebook(
        [
            Block(
                "load_data",
                "load",
                "import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n"
                "train = pd.read_csv(f'{DATA_DIR}/train.csv')\n"
                "scaler = StandardScaler().fit(train[['a']])",
            )
        ],
        {"DATA_DIR": root},
    )
    assert [f for f in check_leakage(nb) if f.severity == "error"] == []
