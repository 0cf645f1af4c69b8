"""A small Kaggle-like competition (binary, AUC, train.csv zipped inside) and a public notebook for it."""

from __future__ import annotations

import nbformat

from fakes.kaggle_server import FAKE_TOKEN, FakeCompetition, FakeKernel, zip_bytes

TOKEN = FAKE_TOKEN
KAGGLE_HOME = "kaggle-home"

TRAIN = "PassengerId,Age,Fare,Pclass,Survived\n" + "".join(
    f"{i},{20 + i % 37},{5 + (i * 7) % 90}.5,{1 + i % 3},{int((i * 7) % 90 > 40)}\n" for i in range(1, 121)
)
TEST = "PassengerId,Age,Fare,Pclass\n" + "".join(
    f"{i},{20 + i % 37},{5 + (i * 7) % 90}.5,{1 + i % 3}\n" for i in range(121, 161)
)
SAMPLE = "PassengerId,Survived\n" + "".join(f"{i},0\n" for i in range(121, 161))


def titanic_like() -> FakeCompetition:
    """A small binary competition whose train.csv comes zipped inside the data archive, like Kaggle's."""
    return FakeCompetition(
        slug="tiny-titanic",
        title="Tiny Titanic",
        evaluation_metric="Area Under Receiver Operating Characteristic Curve",
        description="Predict survival.",
        pages={"Description": "Who survived?", "Evaluation": "Submissions are scored on AUC."},
        files={
            "train.csv.zip": zip_bytes({"train.csv": TRAIN.encode()}),
            "test.csv": TEST.encode(),
            "sample_submission.csv": SAMPLE.encode(),
            "extra/notes.txt": b"fare in pounds\n",
        },
    )


LOAD = """import numpy as np
import pandas as pd
train = pd.read_csv('/kaggle/input/tiny-titanic/train.csv')
test = pd.read_csv("../input/tiny-titanic/test.csv")"""
MODEL = """from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict
features = ['Age', 'Fare', 'Pclass']
model = LogisticRegression(max_iter=500)
oof = cross_val_predict(model, train[features], train['Survived'], cv=5, method='predict_proba')[:, 1]
val_auc = roc_auc_score(train['Survived'], oof)"""
SCORE = "print(f'Final Validation Performance: {val_auc}')"
SUBMIT = """model.fit(train[features], train['Survived'])
proba = model.predict_proba(test[features])[:, 1]
pd.DataFrame({'PassengerId': test['PassengerId'], 'Survived': proba}).to_csv(
    '/kaggle/working/submission.csv', index=False)"""


def kaggle_notebook(*cells: tuple[str, str]) -> str:
    nb = nbformat.v4.new_notebook()
    for kind, text in cells:
        nb.cells.append(
            nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
        )
    return nbformat.writes(nb)


def public_kernel(*, with_score: bool = True) -> FakeKernel:
    source = kaggle_notebook(
        ("md", "# Load the data"),
        ("code", "!pip install -q something"),
        ("code", LOAD),
        ("code", "train.head()"),
        ("md", "## Model"),
        ("code", MODEL + ("\n" + SCORE if with_score else "")),
        ("md", "## Submission"),
        ("code", SUBMIT),
    )
    return FakeKernel(
        "someone", "simple-logreg", "Simple LogReg", source, competition_sources=["tiny-titanic"]
    )
