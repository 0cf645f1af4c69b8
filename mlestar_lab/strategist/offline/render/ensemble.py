"""Ensemble notebooks: blocks setup, load_predictions, blend, evaluate_and_save.

Members are read from MEMBER_DIRS (their oof/test prediction files), aligned by id; members with
identical out-of-fold predictions are dropped. Only the `blend` block differs between
strategies. The chosen weights are printed as a JSON line and displayed as application/json.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode

from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import Block, new_notebook
from mlestar_lab.strategist.offline.recipe import STRATEGIST_NAME, EnsembleSpec
from mlestar_lab.strategist.offline.render.outputs import WRITE_OUTPUTS
from mlestar_lab.strategist.offline.render.setup import FOLDS_CODE, render_labels, render_setup
from mlestar_lab.strategist.offline.render.text import section
from mlestar_lab.task.model import Task

STRATEGY_TITLES = {
    "mean": "simple mean of the members",
    "hill_climb": "weights fitted on OOF by greedy hill climbing with replacement",
    "rank": "mean of rank-normalised predictions",
    "stacking": "stacking with a linear meta model on the same folds",
    "optimize": "non-negative weights summing to 1, optimised on OOF with scipy (SLSQP)",
    "top_mean": "mean of the top-k members, k chosen on OOF",
    "hill_climb_top": "hill climbing restricted to the top members",
    "rank_hill_climb": "hill-climbed weights over rank-normalised predictions",
    "stacking_tuned": "stacking with the meta model's regularisation chosen on the meta OOF",
}


def render_ensemble(
    task: Task, spec: EnsembleSpec, member_dirs: list[str], parameters: dict[str, Any]
) -> NotebookNode:
    """An ensemble notebook over `member_dirs` (the default of MEMBER_DIRS; the loop sets it)."""
    metadata = {
        "title": f"Ensemble — {STRATEGY_TITLES[spec.strategy]}",
        "strategist": STRATEGIST_NAME,
        "ensemble": spec.model_dump(),
    }
    parameters = {**parameters, contract.PARAM_MEMBER_DIRS: list(member_dirs)}
    return new_notebook(ensemble_blocks(task, spec.strategy, spec.top_k), parameters, metadata)


def ensemble_blocks(task: Task, strategy: str, top_k: int | None) -> list[Block]:
    return [
        Block("setup", "setup", render_setup(task)),
        Block(
            "load_predictions",
            "load",
            section(_LOAD_TRAIN, _skips(task), FOLDS_CODE, _labels_and_members(task)),
        ),
        Block("blend", "ensemble", render_blend(strategy, top_k)),
        Block("evaluate_and_save", "submission", section(WRITE_OUTPUTS, _EVALUATE)),
    ]


def _skips(task: Task) -> str:
    reason = "used by the member solutions; this notebook blends their predictions"
    return "\n".join(f"# mlestar: skip {f.path} — {reason}" for f in task.auxiliary_files)


def _labels_and_members(task: Task) -> str:
    return section(render_labels(task), _LOAD_MEMBERS)


def render_blend(strategy: str, top_k: int | None) -> str:
    header = f"# Strategy: {STRATEGY_TITLES[strategy]}.\nSTRATEGY = {strategy!r}"
    if top_k is not None:
        header += f"\nTOP_K = {top_k}"
    helpers = [_COMBINE]
    if strategy in ("hill_climb", "hill_climb_top", "rank_hill_climb"):
        helpers.append(_HILL_CLIMB)
    if strategy in ("rank", "rank_hill_climb"):
        helpers.append(_RANKS)
    if strategy in ("stacking", "stacking_tuned"):
        helpers.append(_STACK)
    return section(header, *helpers, _STRATEGIES[strategy])


_LOAD_TRAIN = f"""data_dir = Path(DATA_DIR)
train = pd.read_csv(data_dir / TRAIN_FILE)
train = train[train[TARGET].notna()].reset_index(drop=True)
sample_submission = pd.read_csv(data_dir / SAMPLE_SUBMISSION_FILE)
OOF_FILE, TEST_FILE_NAME = {contract.OOF_FILE!r}, {contract.TEST_PREDICTIONS_FILE!r}"""

_LOAD_MEMBERS = '''def read_predictions(path, keys):
    """A member's predictions aligned to `keys` (ids as text)."""
    frame = pd.read_csv(path)
    frame.index = label_text(frame[ID_COLUMN])
    missing = pd.Index(keys).difference(frame.index)
    if len(missing):
        raise ValueError(f"{path} lacks predictions for {len(missing)} ids")
    columns = CLASS_COLUMNS if TASK_TYPE == "multiclass" else PREDICTION_COLUMNS[:1]
    values = frame.loc[keys, columns].to_numpy(dtype=float)
    return values if TASK_TYPE == "multiclass" else values[:, 0]


test_ids = pd.read_csv(Path(MEMBER_DIRS[0]) / TEST_FILE_NAME)[ID_COLUMN]
train_keys, test_keys = label_text(train[ID_COLUMN]).tolist(), label_text(test_ids).tolist()
names, oof_list, test_list = [], [], []
for directory in MEMBER_DIRS:
    name = Path(directory).name
    member_oof = read_predictions(Path(directory) / OOF_FILE, train_keys)
    twin = next((n for n, seen in zip(names, oof_list) if np.allclose(seen, member_oof)), None)
    if twin is not None:
        print(f"{name}: skipped, same out-of-fold predictions as {twin}")
        continue
    names.append(name)
    oof_list.append(member_oof)
    test_list.append(read_predictions(Path(directory) / TEST_FILE_NAME, test_keys))
member_scores = [score_predictions(y, p) for p in oof_list]
ranked = sorted(range(len(names)), key=lambda k: member_scores[k], reverse=HIGHER_IS_BETTER)
for k in ranked:
    print(f"{names[k]}: out-of-fold {member_scores[k]:.6f}")'''

_COMBINE = """def combine(predictions, weights):
    return sum(w * p for w, p in zip(weights, predictions))"""

_HILL_CLIMB = '''def hill_climb(predictions, candidates, max_steps=100):
    """Caruana's greedy selection with replacement, from the best candidate; weights sum to 1."""
    counts = np.zeros(len(predictions))
    counts[candidates[0]] = 1
    current, current_score = predictions[candidates[0]], score_predictions(y, predictions[candidates[0]])
    for _ in range(max_steps):
        n = counts.sum()
        trials = [(score_predictions(y, (current * n + predictions[k]) / (n + 1)), k) for k in candidates]
        best_score, best = trials[0]
        for trial_score, k in trials[1:]:
            if is_better(trial_score, best_score):
                best_score, best = trial_score, k
        if not is_better(best_score, current_score):
            break
        current, current_score = (current * n + predictions[best]) / (n + 1), best_score
        counts[best] += 1
    return counts / counts.sum()'''

_RANKS = """from scipy.stats import rankdata


def ranks(values):
    return rankdata(values) / len(values)


rank_oof, rank_test = [ranks(p) for p in oof_list], [ranks(p) for p in test_list]"""

_STACK = '''from sklearn.linear_model import LogisticRegression, Ridge


def meta_features(predictions):
    """Members' predictions on the scale a linear model combines best."""
    if TASK_TYPE == "binary":
        p = np.clip(np.column_stack(predictions), 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))
    if TASK_TYPE == "multiclass":
        return np.log(np.clip(np.hstack(predictions), 1e-6, 1))
    values = np.column_stack(predictions)
    return np.log1p(np.clip(values, 0, None)) if METRIC == "rmsle" else values


def meta_output(model, F):
    if TASK_TYPE == "regression":
        out = model.predict(F)
        return np.expm1(out) if METRIC == "rmsle" else out
    proba = np.zeros((len(F), len(CLASSES)))
    proba[:, np.asarray(model.classes_).astype(int)] = model.predict_proba(F)
    return proba[:, 1] if TASK_TYPE == "binary" else proba


def stack(strength):
    """Meta model fitted on the OOF predictions of the other folds, applied to each fold and to test."""
    F_oof, F_test = meta_features(oof_list), meta_features(test_list)
    y_meta = np.log1p(y) if METRIC == "rmsle" else y
    stacked_oof, stacked_test = np.zeros_like(oof_list[0]), np.zeros_like(test_list[0])
    for fold in np.unique(folds):
        fit_rows, out_rows = folds != fold, folds == fold
        if TASK_TYPE == "regression":
            meta = Ridge(alpha=strength, positive=True)
        else:
            meta = LogisticRegression(C=strength, max_iter=2000)
        meta.fit(F_oof[fit_rows], y_meta[fit_rows])
        stacked_oof[out_rows] = meta_output(meta, F_oof[out_rows])
        stacked_test += meta_output(meta, F_test) / len(np.unique(folds))
    return stacked_oof, stacked_test'''

_STRATEGIES = {
    "mean": """weights = np.full(len(names), 1 / len(names))
blend_oof, blend_test = combine(oof_list, weights), combine(test_list, weights)
details = {}""",
    "hill_climb": """weights = hill_climb(oof_list, ranked)
blend_oof, blend_test = combine(oof_list, weights), combine(test_list, weights)
details = {}""",
    "hill_climb_top": """weights = hill_climb(oof_list, ranked[:TOP_K], max_steps=200)
blend_oof, blend_test = combine(oof_list, weights), combine(test_list, weights)
details = {"top_k": TOP_K}""",
    "rank": """weights = np.full(len(names), 1 / len(names))
blend_oof, blend_test = combine(rank_oof, weights), combine(rank_test, weights)
details = {}""",
    "rank_hill_climb": """weights = hill_climb(rank_oof, ranked)
blend_oof, blend_test = combine(rank_oof, weights), combine(rank_test, weights)
details = {}""",
    "optimize": """from scipy.optimize import minimize


def blend_loss(w):
    score = score_predictions(y, combine(oof_list, w))
    return -score if HIGHER_IS_BETTER else score


start = np.full(len(names), 1 / len(names))
result = minimize(blend_loss, start, method="SLSQP", bounds=[(0.0, 1.0)] * len(names),
                  constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}])
weights = np.clip(result.x, 0, None)
weights = weights / weights.sum() if weights.sum() > 0 else start
blend_oof, blend_test = combine(oof_list, weights), combine(test_list, weights)
details = {"optimizer": result.message}""",
    "top_mean": """best_k, best_score = 1, member_scores[ranked[0]]
for k in range(2, len(names) + 1):
    trial = score_predictions(y, combine([oof_list[i] for i in ranked[:k]], np.full(k, 1 / k)))
    if is_better(trial, best_score):
        best_k, best_score = k, trial
weights = np.zeros(len(names))
weights[ranked[:best_k]] = 1 / best_k
blend_oof, blend_test = combine(oof_list, weights), combine(test_list, weights)
details = {"top_k": best_k}""",
    "stacking": """blend_oof, blend_test = stack(1.0)
weights = None
details = {"meta_strength": 1.0}""",
    "stacking_tuned": """best = None
for strength in (0.01, 0.1, 1.0, 10.0):
    candidate = stack(strength)
    trial = score_predictions(y, candidate[0])
    if best is None or is_better(trial, best[0]):
        best = (trial, strength, candidate)
blend_oof, blend_test = best[2]
weights = None
details = {"meta_strength": best[1]}""",
}

_EVALUATE = """score = score_predictions(y, blend_oof)
write_outputs(train[ID_COLUMN], blend_oof, test_ids, blend_test)
summary = {
    "strategy": STRATEGY,
    "members": names,
    "member_scores": dict(zip(names, member_scores)),
    "weights": None if weights is None else {n: round(float(w), 4) for n, w in zip(names, weights)},
    **{k: v if isinstance(v, (int, float, str)) else str(v) for k, v in details.items()},
}
print("Ensemble: " + json.dumps(summary))
display({"application/json": {"mlestar": {"ensemble": summary}}}, raw=True)
print(f"Final Validation Performance: {score}")"""
