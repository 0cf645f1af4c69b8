"""Scripted model replies for the diabetes demo competition (regression, id `id`, target
`progression`, RMSE): real code that runs there, routed by role.

`DemoScript.bad` queues replies to send first for a role (a malformed reply, a block name that
does not exist), so a test can drive the repair round; the forest candidate is written with a
bad import so the debugger has work, and the first merge fits a scaler on train + test so the
static leakage checker and the LLM leakage fixer have work.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict, deque

LOAD = """import numpy as np
import pandas as pd
from pathlib import Path

data_dir = Path(DATA_DIR)
train = pd.read_csv(data_dir / "train.csv")
test = pd.read_csv(data_dir / "test.csv")
sample_submission = pd.read_csv(data_dir / "sample_submission.csv")
fold_table = pd.read_csv(FOLDS_FILE)
folds = train[["id"]].merge(fold_table, on="id", how="left")["fold"].to_numpy()
Path(OUTPUT_DIR).mkdir(parents=True, exist_ok=True)"""

FEATURES = """FEATURES = [c for c in test.columns if c != "id"]
X = train[FEATURES].copy()
X_test = test[FEATURES].copy()
y = train["progression"].to_numpy(dtype=float)"""

RICHER_FEATURES = """FEATURES = [c for c in test.columns if c != "id"]


def add_features(frame):
    frame = frame.copy()
    frame["bmi_s5"] = frame["bmi"] * frame["s5"]
    frame["bmi_sq"] = frame["bmi"] ** 2
    return frame


X = add_features(train[FEATURES])
X_test = add_features(test[FEATURES])
y = train["progression"].to_numpy(dtype=float)"""

LEAKY_FEATURES = """from sklearn.preprocessing import StandardScaler

FEATURES = [c for c in test.columns if c != "id"]
scaler = StandardScaler().fit(pd.concat([train[FEATURES], test[FEATURES]]))
X = pd.DataFrame(scaler.transform(train[FEATURES]), columns=FEATURES)
X_test = pd.DataFrame(scaler.transform(test[FEATURES]), columns=FEATURES)
y = train["progression"].to_numpy(dtype=float)"""

RIDGE = """from sklearn.linear_model import Ridge

MODELS = {"ridge": lambda: Ridge(alpha=1.0)}"""

FOREST = """from sklearn.ensemble import RandomForestRegressor

MODELS = {
    "forest": lambda: RandomForestRegressor(
        n_estimators=60, min_samples_leaf=3, n_jobs=N_JOBS, random_state=SEED
    )
}"""

BROKEN_FOREST = FOREST.replace("import RandomForestRegressor", "import RandomForestRegresor")

BOTH = """from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge

MODELS = {
    "ridge": lambda: Ridge(alpha=1.0),
    "forest": lambda: RandomForestRegressor(
        n_estimators=60, min_samples_leaf=3, n_jobs=N_JOBS, random_state=SEED
    ),
}"""

WRITE = """def save(oof, test_pred):
    out = Path(OUTPUT_DIR)
    test_frame = pd.DataFrame({"id": test["id"], "progression": test_pred})
    test_frame.to_csv(out / "submission.csv", index=False)
    test_frame.to_csv(out / "test_predictions.csv", index=False)
    pd.DataFrame({"id": train["id"], "progression": oof}).to_csv(out / "oof_predictions.csv", index=False)
    score = float(np.sqrt(np.mean((oof - y) ** 2)))
    print(f"Final Validation Performance: {score}")"""

TRAIN = (
    WRITE
    + """


oof = np.zeros(len(train))
test_pred = np.zeros(len(test))
fold_ids = np.unique(folds)
for name, make_model in MODELS.items():
    for k in fold_ids:
        fit_rows, valid_rows = folds != k, folds == k
        model = make_model().fit(X[fit_rows], y[fit_rows])
        oof[valid_rows] += model.predict(X[valid_rows]) / len(MODELS)
        test_pred += model.predict(X_test) / (len(fold_ids) * len(MODELS))
save(oof, test_pred)"""
)

ENSEMBLE_LOAD = """import numpy as np
import pandas as pd
from pathlib import Path

data_dir = Path(DATA_DIR)
train = pd.read_csv(data_dir / "train.csv")
test = pd.read_csv(data_dir / "test.csv")
sample_submission = pd.read_csv(data_dir / "sample_submission.csv")
y = train["progression"].to_numpy(dtype=float)
Path(OUTPUT_DIR).mkdir(parents=True, exist_ok=True)


def member(folder, name, ids):
    table = pd.read_csv(Path(folder) / name).set_index("id")
    return table.loc[ids, "progression"].to_numpy()


oofs = np.array([member(d, "oof_predictions.csv", train["id"]) for d in MEMBER_DIRS])
tests = np.array([member(d, "test_predictions.csv", test["id"]) for d in MEMBER_DIRS])"""

ENSEMBLE_BLEND = """oof = oofs.mean(axis=0)
test_pred = tests.mean(axis=0)"""


def script(*blocks: tuple[str, str, str]) -> str:
    body = "\n\n".join(f"# %% block: {name} (kind: {kind})\n{code}" for name, kind, code in blocks)
    return f"Here is the solution.\n\n```python\n{body}\n```\n"


def solution(model: str, features: str = FEATURES) -> str:
    return script(
        ("load_data", "load", LOAD),
        ("features", "features", features),
        ("model", "model", model),
        ("train_and_save", "training", TRAIN),
    )


def fenced_json(value: object) -> str:
    return f"```json\n{json.dumps(value, indent=2)}\n```"


class DemoScript:
    """The responder: (role, prompt) -> reply text. Thread-safe; counts replies per role."""

    def __init__(self, echo: str | None = None):
        self.bad: dict[str, deque[str]] = defaultdict(deque)
        self.count: dict[str, int] = defaultdict(int)
        self.echo = echo  # text (a key) to slip into one candidate's code, as a careless model might
        self._lock = threading.Lock()

    def __call__(self, role: str, prompt: str) -> str:
        with self._lock:
            self.count[role] += 1
            nth = self.count[role]
            if self.bad[role]:
                return self.bad[role].popleft()
        return getattr(self, role)(prompt, nth)

    def retrieval(self, prompt: str, nth: int) -> str:
        count = int(re.search(r"Find (\d+) model families", prompt).group(1))
        families = [
            {
                "name": "Ridge regression",
                "title": "Ridge regression",
                "description": "A strong linear baseline.",
                "snippet": "Ridge(alpha=1.0).fit(X, y)",
            },
            {
                "name": "Random forest",
                "title": "Random forest",
                "description": "Bagged trees, robust.",
                "snippet": "RandomForestRegressor().fit(X, y)",
            },
        ]
        return fenced_json(families[:count])

    def candidate_writer(self, prompt: str, nth: int) -> str:
        family = re.search(r"## Model family: (.+)", prompt).group(1).lower()
        if "forest" in family or "tree" in family:
            return solution(BROKEN_FOREST)
        reply = solution(RIDGE)
        if self.echo:
            reply = reply.replace("MODELS = {", f"# tried key {self.echo}\nMODELS = {{")
        return reply

    def merger(self, prompt: str, nth: int) -> str:
        return solution(BOTH, LEAKY_FEATURES if nth == 1 else FEATURES)

    def debugger(self, prompt: str, nth: int) -> str:
        return script(("model", "model", FOREST))

    def leakage_fixer(self, prompt: str, nth: int) -> str:
        return script(("features", "features", FEATURES))

    def leakage_checker(self, prompt: str, nth: int) -> str:
        return fenced_json({"leakage": False, "findings": []})

    def data_usage_checker(self, prompt: str, nth: int) -> str:
        return fenced_json({"all_used": True, "notes": "train, test and the sample submission are read"})

    def ablation_designer(self, prompt: str, nth: int) -> str:
        variants = [{"block": "model", "description": "a single ridge model instead", "code": RIDGE}]
        if "bmi_sq" in prompt:
            variants.append({"block": "features", "description": "raw features only", "code": FEATURES})
        return fenced_json(variants)

    def ablation_summariser(self, prompt: str, nth: int) -> str:
        return "The model block matters most; the features block has a smaller effect."

    def block_extractor(self, prompt: str, nth: int) -> str:
        return fenced_json({"block": "features", "reason": "interactions of bmi may help the linear model"})

    def refinement_planner(self, prompt: str, nth: int) -> str:
        return fenced_json(
            {"title": "Add bmi interactions", "plan": "Add bmi*s5 and bmi squared as features."}
        )

    def block_coder(self, prompt: str, nth: int) -> str:
        block = re.search(r"Rewrite block `(\w+)`", prompt).group(1)
        code = {"features": RICHER_FEATURES, "model": BOTH}[block]
        return f"```python\n{code}\n```"

    def ensemble_planner(self, prompt: str, nth: int) -> str:
        return fenced_json({"title": f"Mean of members {nth}", "plan": "Average the members' predictions."})

    def ensembler(self, prompt: str, nth: int) -> str:
        return script(
            ("load_predictions", "load", ENSEMBLE_LOAD),
            ("blend", "ensemble", ENSEMBLE_BLEND),
            ("save", "submission", WRITE + "\n\n\nsave(oof, test_pred)"),
        )
