"""The Strategist interface: every decision the MLE-STAR loop needs, with typed results.

The loop (`mlestar_lab.agent`) owns stages, budgets, persistence and execution; a strategist
only *proposes* notebooks, plans and choices. It never reports a score: every score comes from
executing what it proposed. Implementations: the offline strategist (embedded default) and,
later, LLM strategists. A method returning None means "no (more) ideas"; the loop moves on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from nbformat import NotebookNode

from mlestar_lab.store.models import ErrorInfo, Finding
from mlestar_lab.task.model import Task


@dataclass
class ModelFamily:
    """A retrieved model family with an example snippet (MLE-STAR's retrieval result)."""

    name: str
    title: str
    description: str
    snippet: str
    source: str = "catalog"


@dataclass
class Draft:
    """A proposed notebook, with the plan that produced it."""

    notebook: NotebookNode
    title: str
    plan: str = ""
    block: str | None = None
    block_kind: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class Solution:
    """An executed, scored notebook the loop may build on."""

    step_id: int
    notebook: NotebookNode
    score: float
    output_dir: str
    title: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class AblationVariant:
    """The current solution with one component disabled or simplified."""

    block: str
    description: str
    notebook: NotebookNode


@dataclass
class AblationRow:
    """One measured line of the ablation table. `delta` > 0 means the component helps."""

    block: str
    description: str
    status: str
    score: float | None
    delta: float | None
    runtime: float | None


@dataclass
class BlockChoice:
    block: str
    reason: str


@dataclass
class Attempt:
    """An earlier refinement or ensemble attempt, shown to later plans."""

    title: str
    plan: str
    status: str
    score: float | None
    delta: float | None
    block: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


class PlanNotUnderstood(ValueError):
    """A plan the user wrote that the strategist cannot carry out; the message says what it can."""


class Strategist(ABC):
    """Proposes; never scores. See the module docstring."""

    name: str = "abstract"
    model: str | None = None

    @abstractmethod
    def retrieve(self, task: Task, count: int) -> list[ModelFamily]:
        """Up to `count` model families suited to the task, best first."""

    @abstractmethod
    def write_candidate(self, task: Task, family: ModelFamily) -> Draft:
        """A simple, complete solution notebook using `family`."""

    @abstractmethod
    def merge(self, task: Task, base: Solution, other: Solution) -> Draft | None:
        """`base` improved with what `other` does well (e.g. as an ensemble member)."""

    @abstractmethod
    def design_ablation(self, task: Task, solution: Solution) -> list[AblationVariant]:
        """Variants of `solution`, each with one block disabled or simplified."""

    @abstractmethod
    def choose_block(
        self, task: Task, solution: Solution, table: list[AblationRow], refined: list[str]
    ) -> BlockChoice | None:
        """The block to refine next: largest expected gain, not one in `refined` unless none is left."""

    @abstractmethod
    def plan_refinement(
        self, task: Task, solution: Solution, block: str, history: list[Attempt]
    ) -> Draft | None:
        """A rewrite of `block` only; `history` holds earlier attempts on it with their Δscore."""

    @abstractmethod
    def implement_plan(self, task: Task, notebook: NotebookNode, block: str, plan: str) -> Draft:
        """`notebook` with `block` rewritten to carry out `plan`, a plan text the user wrote at a gate.

        Raises PlanNotUnderstood, with what would be understood, rather than doing something else.
        """

    @abstractmethod
    def plan_ensemble(self, task: Task, members: list[Solution], history: list[Attempt]) -> Draft | None:
        """A notebook combining the members' saved OOF/test predictions (see MEMBER_DIRS)."""

    @abstractmethod
    def debug(self, task: Task, draft: Draft, error: ErrorInfo, attempt: int) -> Draft | None:
        """A fixed version of a draft whose execution raised `error`."""

    @abstractmethod
    def fix_leakage(self, task: Task, draft: Draft, findings: list[Finding]) -> Draft | None:
        """A version of `draft` without the leakage the checker found, or None to reject it."""
