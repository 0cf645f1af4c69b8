"""A solution as data: the Recipe, its blocks, and how it travels inside a notebook.

Every option of a recipe belongs to exactly one block, so changing one option re-renders one
cell: ablations and refinements are one-cell diffs by construction.
"""

from __future__ import annotations

from typing import Any, Literal

from nbformat import NotebookNode
from pydantic import BaseModel, Field, ValidationError

from mlestar_lab.notebook.candidate import notebook_metadata

STRATEGIST_NAME = "offline"
Encoding = Literal["native", "ordinal", "target", "onehot"]
TargetTransform = Literal["identity", "log1p", "sqrt"]

SETUP, LOAD, FEATURES, ENCODING, TARGET, MODEL, TRAINING, SUBMISSION = (
    "setup",
    "load_data",
    "feature_engineering",
    "categorical_encoding",
    "target_transform",
    "model",
    "cross_validation",
    "evaluate_and_save",
)
BLOCK_KINDS: dict[str, str] = {
    SETUP: "setup",
    LOAD: "load",
    FEATURES: "features",
    ENCODING: "encoding",
    TARGET: "target",
    MODEL: "model",
    TRAINING: "training",
    SUBMISSION: "submission",
}
ABLATABLE = (FEATURES, ENCODING, TARGET, MODEL, TRAINING)


class Member(BaseModel):
    """One model trained in the CV loop: the primary model or a merged ensemble member."""

    family: str
    encoding: Encoding
    params: dict[str, Any] = Field(default_factory=dict)


class Training(BaseModel):
    """Training extras of the CV loop; the plainest setting is one seed without early stopping."""

    seeds: int = 1
    early_stopping: bool = False
    patience: int = 100
    holdout_fraction: float = 0.1
    refit: bool = False


class Recipe(BaseModel):
    """Everything that decides a candidate notebook. `features` maps a step to its level (1, 2)."""

    model: Member
    members: list[Member] = Field(default_factory=list)
    features: dict[str, int] = Field(default_factory=dict)
    target: TargetTransform = "identity"
    training: Training = Field(default_factory=Training)
    join_auxiliary: bool = True

    @property
    def models(self) -> list[Member]:
        return [self.model, *self.members]

    def model_names(self) -> list[str]:
        """Unique names of the trained models, primary first (`lightgbm`, `random_forest`, `lightgbm_2`)."""
        names: list[str] = []
        for member in self.models:
            name, k = member.family, 2
            while name in names:
                name, k = f"{member.family}_{k}", k + 1
            names.append(name)
        return names


class EnsembleSpec(BaseModel):
    """An ensemble notebook: a strategy over the saved predictions of member solutions."""

    strategy: str
    member_titles: list[str] = Field(default_factory=list)
    top_k: int | None = None


def read_recipe(nb: NotebookNode) -> Recipe | None:
    """The recipe this strategist stored in `nb`, or None for a notebook it did not write."""
    meta = notebook_metadata(nb)
    if meta.get("strategist") != STRATEGIST_NAME or "recipe" not in meta:
        return None
    try:
        return Recipe.model_validate(meta["recipe"])
    except ValidationError:
        return None


def read_ensemble(nb: NotebookNode) -> EnsembleSpec | None:
    meta = notebook_metadata(nb)
    if meta.get("strategist") != STRATEGIST_NAME or "ensemble" not in meta:
        return None
    try:
        return EnsembleSpec.model_validate(meta["ensemble"])
    except ValidationError:
        return None
