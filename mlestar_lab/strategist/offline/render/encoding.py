"""The `categorical_encoding` block: one Encoder, the method per model named in ENCODINGS.

The encoder's code is the same for every recipe, so switching a model's encoding is a one-line
diff of this cell. Levels, frequencies and target statistics come from the training rows given
to `fit_transform`; target encoding of those rows is itself out-of-fold (inner K-fold).
"""

from __future__ import annotations

from mlestar_lab.strategist.offline.recipe import Recipe
from mlestar_lab.strategist.offline.render.text import py, section

ENCODING_TITLES = {
    "native": "native categorical type (the model splits on categories directly)",
    "ordinal": "ordinal codes by frequency",
    "target": "out-of-fold target encoding",
    "onehot": "one-hot indicators of the frequent levels",
}


def render_encoding(recipe: Recipe) -> str:
    encodings = {name: m.encoding for name, m in zip(recipe.model_names(), recipe.models, strict=True)}
    comment = "# String columns per model:\n" + "\n".join(
        f"#   {name}: {ENCODING_TITLES[enc]}" for name, enc in encodings.items()
    )
    return section(comment + f"\nENCODINGS = {py(encodings)}", _ENCODER)


_ENCODER = '''import re

from sklearn.model_selection import KFold

MIN_COUNT, MAX_LEVELS, ONEHOT_LEVELS, TARGET_SMOOTHING = 5, 250, 30, 20


class Encoder:
    """Turns string columns into model inputs; everything is learned from the training rows."""

    def __init__(self, method):
        self.method = method

    def fit_transform(self, X, y):
        strings = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        counts = {c: X[c].value_counts() for c in strings}
        self.levels = {c: list(n[n >= MIN_COUNT].index[:MAX_LEVELS]) for c, n in counts.items()}
        self.dropped = [c for c in strings if not self.levels[c]]
        self.columns = [c for c in strings if self.levels[c]]
        if self.method != "target":
            return self.transform(X)
        X = X.drop(columns=self.dropped)
        y = np.asarray(y)
        self.targets = np.eye(len(CLASSES))[y.astype(int)] if TASK_TYPE == "multiclass" else y.reshape(-1, 1)
        self.prior = self.targets.mean(axis=0)
        self.means = {c: self._means(X[c], self.targets) for c in self.columns}
        encoded = {c: np.zeros((len(X), self.targets.shape[1])) for c in self.columns}
        for fit_rows, out_rows in KFold(5, shuffle=True, random_state=SEED).split(X):
            for c in self.columns:
                means = self._means(X[c].iloc[fit_rows], self.targets[fit_rows])
                encoded[c][out_rows] = self._lookup(X[c].iloc[out_rows], means)
        return self._replace(X, encoded)

    def transform(self, X):
        X = X.drop(columns=self.dropped)
        if self.method == "target":
            return self._replace(X, {c: self._lookup(X[c], self.means[c]) for c in self.columns})
        X = X.copy()
        if self.method == "native":
            for c in self.columns:
                known = X[c].where(X[c].isin(self.levels[c]))
                X[c] = pd.Categorical(known, categories=self.levels[c])
        elif self.method == "ordinal":
            for c in self.columns:
                codes = {level: k for k, level in enumerate(self.levels[c])}
                X[c] = X[c].map(codes).astype(float).fillna(-1.0).where(X[c].notna())
        elif self.method == "onehot":
            pairs = [(c, v) for c in self.columns for v in self.levels[c][:ONEHOT_LEVELS]]
            new = {f"{c}=={v}": (X[c] == v).astype(np.int8) for c, v in pairs}
            X = pd.concat([X.drop(columns=self.columns), pd.DataFrame(new, index=X.index)], axis=1)
        return self._clean_names(X)

    def _means(self, values, targets):
        """Smoothed mean target per level (one column per class for multiclass)."""
        frame = pd.DataFrame(targets, index=values.index)
        grouped = frame.groupby(values, dropna=True)
        counts = grouped.size().to_numpy().reshape(-1, 1)
        smoothed = (grouped.sum().to_numpy() + TARGET_SMOOTHING * self.prior) / (counts + TARGET_SMOOTHING)
        return pd.DataFrame(smoothed, index=grouped.size().index)

    def _lookup(self, values, means):
        found = means.reindex(values.to_numpy()).to_numpy()
        return np.where(np.isnan(found), self.prior, found)

    def _replace(self, X, encoded):
        new = {}
        for c, values in encoded.items():
            names = [f"{c}__te"] if values.shape[1] == 1 else [f"{c}__te{k}" for k in range(values.shape[1])]
            new.update({name: values[:, k] for k, name in enumerate(names)})
        X = pd.concat([X.drop(columns=list(encoded)), pd.DataFrame(new, index=X.index)], axis=1)
        return self._clean_names(X)

    @staticmethod
    def _clean_names(X):
        """Feature names without the characters some libraries reject (JSON punctuation, brackets)."""
        return X.rename(columns=lambda c: re.sub(r'[\\[\\]{}<>",:]', "_", str(c)))'''
