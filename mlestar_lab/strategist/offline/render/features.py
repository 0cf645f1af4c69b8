"""The `feature_engineering` block: a FeatureMaker whose steps follow `recipe.features`.

Stateless steps (dropping useless columns, date/time expansion, text statistics) only look at
the row itself. Every step that learns something (TF-IDF/SVD, missing-value columns, frequency
maps, group means, the most relevant numerics) learns it in `fit`, which the training block
calls on the training rows of each fold only.
"""

from __future__ import annotations

from mlestar_lab.strategist.offline.profile import TaskView
from mlestar_lab.strategist.offline.render.text import indent, py, section
from mlestar_lab.task.model import Task

STEP_ORDER = ("drop", "datetime", "text", "missing", "frequency", "group", "ratios")
STEP_TITLES = {
    "drop": "drop row-id-like and constant columns",
    "datetime": "expand date/time columns",
    "text": "text statistics",
    "missing": "missing-value indicators",
    "frequency": "frequency encoding of string columns",
    "group": "group means of numerics by low-cardinality columns",
    "ratios": "ratios and products of the most relevant numerics",
}
LEVEL_TITLES = {
    ("text", 2): "text statistics and TF-IDF/SVD components",
    ("group", 2): "group means of more numerics by more low-cardinality columns",
    ("ratios", 2): "ratios and products of the five most relevant numerics",
}
GROUP_SIZES = {1: (3, 2), 2: (5, 4)}
RATIO_SIZES = {1: 3, 2: 5}
SVD_COMPONENTS = 8


def step_title(step: str, level: int) -> str:
    return LEVEL_TITLES.get((step, level), STEP_TITLES[step])


def render_features(task: Task, features: dict[str, int]) -> str:
    steps = [(s, features[s]) for s in STEP_ORDER if features.get(s)]
    if not steps:
        return _RAW
    view = TaskView(task)
    constants = []
    if "drop" in features:
        constants += [f"# mlestar: skip column {name} — row-id-like or constant" for name in view.useless]
        constants.append(f"DROP_COLUMNS = {py(view.useless)}")
    if "datetime" in features:
        constants.append(f"DATETIME_COLUMNS = {py(view.datetime)}")
    if "text" in features:
        constants.append(f"TEXT_COLUMNS = {py(view.text)}")
    if features.get("text", 0) >= 2:
        constants.append(f"SVD_COMPONENTS = {SVD_COMPONENTS}")
    if "group" in features:
        numbers, keys = GROUP_SIZES[features["group"]]
        constants.append(f"GROUP_NUMBERS, GROUP_KEYS, GROUP_MAX_LEVELS = {numbers}, {keys}, 50")
    if "ratios" in features:
        constants.append(f"RATIO_NUMBERS = {RATIO_SIZES[features['ratios']]}")
    stateful = [name for name, level in steps if name in _FIT and (name != "text" or level >= 2)]
    doc = "\n".join(f"- {step_title(name, level)}" for name, level in steps)
    fit_lines = ["X = self._base(X)", "self.base_columns = list(X.columns)"]
    transform_lines = ["X = self._base(X)"]
    for name in stateful:
        fit_lines += [f"self._fit_{name}(X, y)", f"X = self._add_{name}(X)"]
        transform_lines.append(f"X = self._add_{name}(X)")
    base = ["X = X.copy()"] + [_BASE[name] for name, _ in steps if name in _BASE] + ["return X"]
    methods = [
        '"""Feature engineering; everything learned comes from the rows given to fit(), the training '
        f'rows of a fold.\n\n{doc}\n"""',
        "def fit(self, X, y):\n" + indent("\n".join([*fit_lines, "return self"]), 4),
        "def transform(self, X):\n" + indent("\n".join([*transform_lines, "return X"]), 4),
        "def _base(self, X):\n" + indent("\n".join(base), 4),
    ]
    for name in stateful:
        methods += [_FIT[name], _ADD[name]]
    helpers = [_WITH_COLUMNS]
    if {"group", "ratios"} & set(stateful):
        helpers.append(_RELEVANCE)
    body = "\n\n".join(indent(m, 4) for m in methods)
    return section("\n".join(constants), *helpers, "class FeatureMaker:\n" + body)


_RAW = '''class FeatureMaker:
    """Raw features: the columns are passed on unchanged."""

    def fit(self, X, y):
        return self

    def transform(self, X):
        return X'''

_WITH_COLUMNS = '''def with_columns(X, new):
    """X plus the new columns (one concat instead of many inserts)."""
    return pd.concat([X, pd.DataFrame(new, index=X.index)], axis=1) if new else X'''

_RELEVANCE = '''def is_number(values):
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def by_relevance(X, y, columns):
    """Columns sorted by |correlation| with the target on these rows (multiclass: best class)."""
    y = np.asarray(y)
    targets = np.eye(len(CLASSES))[y.astype(int)] if TASK_TYPE == "multiclass" else y.reshape(-1, 1)
    targets = targets[:, targets.std(axis=0) > 0]
    scores = {}
    for column in columns:
        values = X[column].astype(float)
        values = values.fillna(values.median()).to_numpy()
        if values.std() == 0 or targets.shape[1] == 0:
            scores[column] = 0.0
            continue
        corr = [abs(np.corrcoef(values, t)[0, 1]) for t in targets.T]
        scores[column] = float(np.nan_to_num(max(corr)))
    return sorted(columns, key=lambda c: -scores[c])'''

_BASE = {
    "drop": "X = X.drop(columns=[c for c in DROP_COLUMNS if c in X.columns])",
    "datetime": """for column in DATETIME_COLUMNS:
    stamp = pd.to_datetime(X[column], errors="coerce", format="mixed", utc=True).dt.tz_localize(None)
    parts = {"year": stamp.dt.year, "month": stamp.dt.month, "day": stamp.dt.day,
             "dayofweek": stamp.dt.dayofweek, "dayofyear": stamp.dt.dayofyear, "hour": stamp.dt.hour,
             "days": (stamp - pd.Timestamp("1970-01-01")).dt.days}
    X = with_columns(X.drop(columns=[column]), {f"{column}__{k}": v for k, v in parts.items()})""",
    "text": """for column in TEXT_COLUMNS:
    text = X[column].fillna("").astype(str)
    parts = {"chars": text.str.len(), "words": text.str.split().str.len(),
             "digits": text.str.count(r"\\d"), "upper": text.str.count(r"[A-Z]")}
    X = with_columns(X, {f"{column}__{k}": v for k, v in parts.items()})""",
}

_FIT = {
    "text": """def _fit_text(self, X, y):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    self.text_models = {}
    for column in TEXT_COLUMNS:
        text = X[column].fillna("").astype(str)
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, max_features=20000,
                                     sublinear_tf=True)
        matrix = vectorizer.fit_transform(text)
        components = min(SVD_COMPONENTS, matrix.shape[1] - 1)
        if components >= 1:
            svd = TruncatedSVD(components, random_state=SEED).fit(matrix)
            self.text_models[column] = (vectorizer, svd)""",
    "missing": """def _fit_missing(self, X, y):
    self.missing_columns = [c for c in self.base_columns if X[c].isna().any()]""",
    "frequency": """def _fit_frequency(self, X, y):
    strings = [c for c in self.base_columns if not pd.api.types.is_numeric_dtype(X[c])]
    self.frequencies = {c: X[c].value_counts(normalize=True) for c in strings}""",
    "group": """def _fit_group(self, X, y):
    keys = [c for c in self.base_columns if 2 <= X[c].nunique() <= GROUP_MAX_LEVELS]
    keys = sorted(keys, key=lambda c: is_number(X[c]))[:GROUP_KEYS]
    numbers = [c for c in self.base_columns if is_number(X[c]) and X[c].nunique() > 10 and c not in keys]
    numbers = by_relevance(X, y, numbers)[:GROUP_NUMBERS]
    self.group_means = {(k, n): X.groupby(k)[n].mean() for k in keys for n in numbers}""",
    "ratios": """def _fit_ratios(self, X, y):
    numbers = [c for c in self.base_columns if is_number(X[c]) and X[c].nunique() > 10]
    self.ratio_columns = by_relevance(X, y, numbers)[:RATIO_NUMBERS]""",
}

_ADD = {
    "text": """def _add_text(self, X):
    new = {}
    for column, (vectorizer, svd) in self.text_models.items():
        parts = svd.transform(vectorizer.transform(X[column].fillna("").astype(str)))
        new.update({f"{column}__svd{k}": parts[:, k] for k in range(parts.shape[1])})
    return with_columns(X, new)""",
    "missing": """def _add_missing(self, X):
    new = {f"{c}__missing": X[c].isna().astype(int) for c in self.missing_columns}
    new["n_missing"] = X[self.base_columns].isna().sum(axis=1)
    return with_columns(X, new)""",
    "frequency": """def _add_frequency(self, X):
    new = {f"{c}__freq": X[c].map(f).astype(float).fillna(0.0) for c, f in self.frequencies.items()}
    return with_columns(X, new)""",
    "group": """def _add_group(self, X):
    new = {}
    for (key, number), means in self.group_means.items():
        mean = X[key].map(means).astype(float)
        new[f"{number}__mean_by_{key}"] = mean
        new[f"{number}__minus_mean_by_{key}"] = X[number] - mean
    return with_columns(X, new)""",
    "ratios": """def _add_ratios(self, X):
    new = {}
    for i, a in enumerate(self.ratio_columns):
        for b in self.ratio_columns[i + 1 :]:
            new[f"{a}__div__{b}"] = X[a] / X[b].replace(0, np.nan)
            new[f"{a}__times__{b}"] = X[a] * X[b]
    return with_columns(X, new)""",
}
