"""The `model` block: hyper-parameters and a fit function per family, and the MODELS table.

Every fit function has one signature, `fit(params, X, y, seed, eval_set=None, patience=None,
rounds=None)`: the training block decides about early stopping and refits, the model block only
knows how its library does them. `model_output` turns any fitted model into regression values or
class probabilities aligned to CLASSES.
"""

from __future__ import annotations

from mlestar_lab.strategist.offline.families import get_family
from mlestar_lab.strategist.offline.recipe import Recipe
from mlestar_lab.strategist.offline.render.text import py, section

_OUTPUT = '''def model_output(model, X):
    """Regression values, or class probabilities aligned to CLASSES (binary: the positive class)."""
    if TASK_TYPE == "regression":
        return np.asarray(model.predict(X), dtype=float).ravel()
    proba = np.zeros((len(X), len(CLASSES)))
    proba[:, np.asarray(model.classes_).astype(int)] = model.predict_proba(X)
    return proba[:, 1] if TASK_TYPE == "binary" else proba'''

_STDLIB = "import inspect"
_IMPORTS = {
    "lightgbm": (_STDLIB, "import lightgbm as lgb"),
    "hist_gradient_boosting": (
        _STDLIB,
        "from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor",
        "from threadpoolctl import threadpool_limits",
    ),
    "random_forest": (
        "from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.pipeline import make_pipeline",
    ),
    "extra_trees": (
        "from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.pipeline import make_pipeline",
    ),
    "linear": (
        "from sklearn.impute import SimpleImputer",
        "from sklearn.linear_model import LogisticRegression, Ridge",
        "from sklearn.pipeline import make_pipeline",
        "from sklearn.preprocessing import StandardScaler",
    ),
    "xgboost": ("import xgboost as xgb",),
    "catboost": ("from catboost import CatBoostClassifier, CatBoostRegressor",),
}


def _imports(families: list[str]) -> str:
    """The families' imports, each once, the standard library first (as isort would)."""
    lines = list(dict.fromkeys(line for f in families for line in _IMPORTS[f]))
    stdlib = [line for line in lines if line == _STDLIB]
    return "\n\n".join(
        part
        for part in (
            "\n".join(stdlib),
            "\n".join(sorted(set(lines) - set(stdlib), key=lambda line: line.split()[1])),
        )
        if part
    )


_FIT = {
    "lightgbm": """def fit_lightgbm(params, X, y, seed, eval_set=None, patience=None, rounds=None):
    params = {**params, "random_state": seed, "n_jobs": N_JOBS, "verbose": -1}
    if METRIC == "mae":
        params.setdefault("metric", "l1")  # early-stop on the competition's metric
    if rounds is not None:
        params["n_estimators"] = rounds
    model = (lgb.LGBMRegressor if TASK_TYPE == "regression" else lgb.LGBMClassifier)(**params)
    if eval_set is None:
        return model.fit(X, y)
    stop = [lgb.early_stopping(patience, verbose=False)]
    if "eval_X" in inspect.signature(model.fit).parameters:  # LightGBM >= 4.7 deprecates eval_set
        return model.fit(X, y, eval_X=(eval_set[0],), eval_y=(eval_set[1],), callbacks=stop)
    return model.fit(X, y, eval_set=[eval_set], callbacks=stop)""",
    "hist_gradient_boosting": (
        """def fit_hist_gradient_boosting(params, X, y, seed, eval_set=None, patience=None,
                               rounds=None):
    params = {**params, "random_state": seed, "categorical_features": "from_dtype"}
    params["early_stopping"] = False
    if METRIC == "mae":
        params.setdefault("scoring", "neg_mean_absolute_error")  # early-stop on the competition's metric
    if rounds is not None:
        params["max_iter"] = rounds
    elif eval_set is not None:
        params.update(early_stopping=True, n_iter_no_change=patience)
    estimator = HistGradientBoostingRegressor if TASK_TYPE == "regression" else HistGradientBoostingClassifier
    model = estimator(**params)
    with threadpool_limits(N_JOBS if N_JOBS > 0 else None):
        if eval_set is None:
            return model.fit(X, y)
        if "X_val" in inspect.signature(model.fit).parameters:
            return model.fit(X, y, X_val=eval_set[0], y_val=eval_set[1])
        # Older scikit-learn: the model carves the same share of the training fold itself.
        model.set_params(validation_fraction=len(eval_set[1]) / (len(y) + len(eval_set[1])))
        return model.fit(pd.concat([X, eval_set[0]]), np.concatenate([y, eval_set[1]]))"""
    ),
    "random_forest": """def fit_random_forest(params, X, y, seed, eval_set=None, patience=None, rounds=None):
    estimator = RandomForestRegressor if TASK_TYPE == "regression" else RandomForestClassifier
    forest = estimator(**params, random_state=seed, n_jobs=N_JOBS)
    return make_pipeline(SimpleImputer(strategy="median", add_indicator=True), forest).fit(X, y)""",
    "extra_trees": """def fit_extra_trees(params, X, y, seed, eval_set=None, patience=None, rounds=None):
    estimator = ExtraTreesRegressor if TASK_TYPE == "regression" else ExtraTreesClassifier
    forest = estimator(**params, random_state=seed, n_jobs=N_JOBS)
    return make_pipeline(SimpleImputer(strategy="median", add_indicator=True), forest).fit(X, y)""",
    "linear": """def fit_linear(params, X, y, seed, eval_set=None, patience=None, rounds=None):
    if TASK_TYPE == "regression":
        estimator = Ridge(**params)
    else:
        estimator = LogisticRegression(**{"max_iter": 2000, **params})
    imputer = SimpleImputer(strategy="median", add_indicator=True)
    return make_pipeline(imputer, StandardScaler(), estimator).fit(X, y)""",
    "xgboost": """def fit_xgboost(params, X, y, seed, eval_set=None, patience=None, rounds=None):
    params = {**params, "random_state": seed, "n_jobs": N_JOBS}
    params.update(tree_method="hist", enable_categorical=True)
    if METRIC == "mae":
        params.setdefault("eval_metric", "mae")  # early-stop on the competition's metric
    if rounds is not None:
        params["n_estimators"] = rounds
    if eval_set is not None:
        params["early_stopping_rounds"] = patience
    model = (xgb.XGBRegressor if TASK_TYPE == "regression" else xgb.XGBClassifier)(**params)
    return model.fit(X, y, eval_set=[eval_set] if eval_set is not None else None, verbose=False)""",
    "catboost": '''def catboost_frame(X):
    """CatBoost takes categorical columns as strings, a missing value being its own level."""
    X = X.copy()
    for c in X.columns:
        if not pd.api.types.is_numeric_dtype(X[c]):
            X[c] = X[c].astype(object).where(X[c].notna(), "__missing__").astype(str)
    return X


class CatBoostModel:
    """A fitted CatBoost model that prepares its input the way it was trained."""

    def __init__(self, model):
        self.model = model
        self.classes_ = getattr(model, "classes_", None)

    def predict(self, X):
        return self.model.predict(catboost_frame(X))

    def predict_proba(self, X):
        return self.model.predict_proba(catboost_frame(X))


def fit_catboost(params, X, y, seed, eval_set=None, patience=None, rounds=None):
    params = {**params, "random_seed": seed, "thread_count": N_JOBS}
    params.update(verbose=0, allow_writing_files=False)
    if METRIC == "mae":
        params.setdefault("eval_metric", "MAE")  # early-stop on the competition's metric
    if rounds is not None:
        params["iterations"] = rounds
    model = (CatBoostRegressor if TASK_TYPE == "regression" else CatBoostClassifier)(**params)
    X = catboost_frame(X)
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if eval_set is None:
        return CatBoostModel(model.fit(X, y, cat_features=cats))
    hold = (catboost_frame(eval_set[0]), eval_set[1])
    model.fit(X, y, cat_features=cats, eval_set=hold, early_stopping_rounds=patience)
    return CatBoostModel(model)''',
}

_ROUNDS = {
    "lightgbm": "lambda model: model.best_iteration_",
    "hist_gradient_boosting": "lambda model: model.n_iter_",
    "xgboost": "lambda model: model.best_iteration + 1",
    "catboost": "lambda model: model.model.get_best_iteration() + 1",
}


def params_name(model_name: str) -> str:
    return f"{model_name.upper()}_PARAMS"


def render_model(recipe: Recipe) -> str:
    families = list(dict.fromkeys(m.family for m in recipe.models))
    imports = _imports(families)
    params = "\n".join(
        f"{params_name(name)} = {py(member.params)}"
        for name, member in zip(recipe.model_names(), recipe.models, strict=True)
    )
    table = []
    for name, member in zip(recipe.model_names(), recipe.models, strict=True):
        family = get_family(member.family)
        rounds = _ROUNDS.get(member.family, "None")
        table.append(
            f'    {name!r}: {{"params": {params_name(name)}, "fit": fit_{member.family}, '
            f'"rounds": {rounds},\n        "early_stopping": {family.early_stopping}, '
            f'"seeded": {member.family != "linear"}}},'
        )
    comment = "# Models trained in the CV loop (the first is the primary model; others are blended on OOF)."
    return section(
        imports,
        "# Hyper-parameters ({} = library defaults).\n" + params,
        _OUTPUT,
        *(_FIT[f] for f in families),
        comment + "\nMODELS = {\n" + "\n".join(table) + "\n}",
    )
