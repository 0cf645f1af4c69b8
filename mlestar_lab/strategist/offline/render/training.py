"""The `cross_validation` block: the fixed folds, inner-holdout early stopping, seed averaging.

Per fold, features and encodings are fitted on the training rows only; early stopping uses a
holdout carved from those training rows, never the validation fold, so the out-of-fold score
stays an honest estimate. Test predictions are averaged over folds (and seeds).
"""

from __future__ import annotations

from mlestar_lab.strategist.offline.recipe import Training
from mlestar_lab.strategist.offline.render.text import section


def training_summary(training: Training) -> str:
    parts = [f"{training.seeds} seed{'s' if training.seeds > 1 else ''}"]
    if training.early_stopping:
        share = f"{training.holdout_fraction:.0%}"
        parts.append(f"early stopping (patience {training.patience}) on a {share} inner holdout")
        if training.refit:
            parts.append("refit on the whole training fold")
    else:
        parts.append("no early stopping")
    return ", ".join(parts)


def render_training(training: Training) -> str:
    if training.early_stopping:
        stopping = (
            f'EARLY_STOPPING = {{"patience": {training.patience}, '
            f'"holdout_fraction": {training.holdout_fraction}, "refit": {training.refit}}}'
        )
    else:
        stopping = "EARLY_STOPPING = None  # every model trains on the whole training fold"
    return section(
        f"# Training: {training_summary(training)}.\nN_SEEDS = {training.seeds}\n{stopping}",
        _LOOP,
    )


_LOOP = '''from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit


def inner_holdout(y_fold, fraction, seed):
    """Rows of a training fold to fit on, and rows to early-stop on (never the validation fold)."""
    stratify = TASK_TYPE != "regression" and np.unique(y_fold, return_counts=True)[1].min() >= 2
    kind = StratifiedShuffleSplit if stratify else ShuffleSplit
    splitter = kind(n_splits=1, test_size=fraction, random_state=seed)
    return next(splitter.split(np.zeros(len(y_fold)), y_fold))


def train_one(spec, X_fit, y_fit, seed):
    if not (EARLY_STOPPING and spec["early_stopping"]):
        return spec["fit"](spec["params"], X_fit, y_fit, seed)
    fraction = EARLY_STOPPING["holdout_fraction"]
    fit_rows, hold_rows = inner_holdout(y_fit, fraction, seed)
    holdout = (X_fit.iloc[hold_rows], y_fit[hold_rows])
    model = spec["fit"](spec["params"], X_fit.iloc[fit_rows], y_fit[fit_rows], seed,
                        eval_set=holdout, patience=EARLY_STOPPING["patience"])
    if EARLY_STOPPING["refit"]:
        rounds = max(1, round(spec["rounds"](model) / (1 - fraction)))
        model = spec["fit"](spec["params"], X_fit, y_fit, seed, rounds=rounds)
    return model


def blank(n_rows):
    return np.zeros((n_rows, len(CLASSES))) if TASK_TYPE == "multiclass" else np.zeros(n_rows)


oof = {name: blank(len(X)) for name in MODELS}
test_pred = {name: blank(len(X_test)) for name in MODELS}
fold_ids = np.unique(folds)
started = time.time()
for fold in fold_ids:
    train_rows, valid_rows = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
    y_train = y_model[train_rows]
    features = FeatureMaker().fit(X.iloc[train_rows], y_train)
    F_train = features.transform(X.iloc[train_rows])
    F_valid, F_test = features.transform(X.iloc[valid_rows]), features.transform(X_test)
    for name, spec in MODELS.items():
        encoder = Encoder(ENCODINGS[name])
        E_train = encoder.fit_transform(F_train, y_train)
        E_valid, E_test = encoder.transform(F_valid), encoder.transform(F_test)
        seeds = [SEED + k for k in range(N_SEEDS if spec["seeded"] else 1)]
        valid_sum, test_sum, used = 0.0, 0.0, 0
        for seed in seeds:
            if used and TIME_LIMIT and time.time() - started > 0.5 * TIME_LIMIT:
                print(f"time budget: fold {fold} {name} averages {used} of {len(seeds)} seeds")
                break
            model = train_one(spec, E_train, y_train, seed)
            valid_sum = valid_sum + model_output(model, E_valid)
            test_sum = test_sum + model_output(model, E_test)
            used += 1
        oof[name][valid_rows] = valid_sum / used
        test_pred[name] += test_sum / used / len(fold_ids)
        fold_score = score_predictions(y[valid_rows], inverse(oof[name][valid_rows]))
        print(f"fold {fold} {name}: {fold_score:.6f} ({time.time() - started:.0f} s)")'''
