"""A small Kaggle-like competition for the fake Kaggle API: binary, AUC, train.csv zipped inside."""

from __future__ import annotations

from fakes.kaggle_server import FakeCompetition, zip_bytes

TOKEN = "KGAT_fake0000000000000000000000"
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
