"""The offline strategist on notebooks it did not write (imported from Kaggle, or hand-written).

Without an LLM, arbitrary code cannot be rewritten freely, but its estimators can: a constructor
call of a known model class (`LGBMClassifier(...)`, `RandomForestRegressor(...)`,
`LogisticRegression(...)` …) is found with the AST, and a refinement changes its hyper-parameters
only, with the rest of the block left exactly as written. The ablation resets the hyper-parameters
the author set to the library defaults, measuring how much the author's tuning matters per block.
A knob whose value is not a literal (a variable, a dict unpacked) is never touched: changing what
cannot be read is not safe.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

from mlestar_lab import safe_ast
from mlestar_lab.checks.source import code_cells
from mlestar_lab.notebook.candidate import blocks, replace_block
from mlestar_lab.strategist.base import AblationRow, AblationVariant, Attempt, BlockChoice, Draft

MAX_ROUNDS = 5000
_INTEGER = frozenset(
    {"n_estimators", "max_iter", "iterations", "min_child_samples", "min_samples_leaf", "n_neighbors"}
)
NOISE = 1e-3

# Knob names per model family: rounds, learning rate, leaf size; None when the family has none.
_BOOSTING = {
    "LGBMClassifier": {
        "rounds": ("n_estimators", 100),
        "rate": ("learning_rate", 0.1),
        "leaf": ("min_child_samples", 20),
    },
    "XGBClassifier": {
        "rounds": ("n_estimators", 100),
        "rate": ("learning_rate", 0.3),
        "leaf": ("min_child_weight", 1),
    },
    "GradientBoostingClassifier": {
        "rounds": ("n_estimators", 100),
        "rate": ("learning_rate", 0.1),
        "leaf": ("min_samples_leaf", 1),
    },
    "HistGradientBoostingClassifier": {
        "rounds": ("max_iter", 100),
        "rate": ("learning_rate", 0.1),
        "leaf": ("min_samples_leaf", 20),
    },
    "CatBoostClassifier": {
        "rounds": ("iterations", 1000),
        "rate": ("learning_rate", None),
        "leaf": ("l2_leaf_reg", 3),
    },
}
_FOREST = ("RandomForestClassifier", "ExtraTreesClassifier")
_C_LINEAR = ("LogisticRegression", "SVC", "LinearSVC")
_ALPHA_LINEAR = ("Ridge", "Lasso", "ElasticNet", "RidgeClassifier")
_NEIGHBOURS = ("KNeighborsClassifier",)


@dataclass(frozen=True)
class Change:
    param: str
    default: float | None
    factor: float
    minimum: float | None = None


@dataclass(frozen=True)
class Plan:
    title: str
    text: str
    changes: tuple[Change, ...]


def _plans(name: str) -> list[Plan]:
    """The refinement plans of estimator class `name`, most promising first ([] if unknown)."""
    base = name.replace("Regressor", "Classifier").replace("SVR", "SVC")
    if base in _BOOSTING:
        knobs = _BOOSTING[base]
        rounds, rate, leaf = knobs["rounds"], knobs["rate"], knobs["leaf"]
        plans = [
            Plan(
                "more rounds at half the learning rate",
                f"twice {rounds[0]} and half {rate[0]}: smaller steps generalise better",
                (Change(rounds[0], rounds[1], 2.0), Change(rate[0], rate[1], 0.5)),
            ),
            Plan(
                "larger leaves",
                f"{leaf[0]} × 2: fewer, better supported splits against overfitting",
                (Change(leaf[0], leaf[1], 2.0, minimum=2),),
            ),
        ]
        if rate[1] is None:
            plans[0] = Plan("more rounds", f"twice {rounds[0]}", (Change(rounds[0], rounds[1], 2.0),))
        return plans
    if base in _FOREST:
        return [
            Plan(
                "three times the trees",
                "n_estimators × 3: less variance",
                (Change("n_estimators", 100, 3.0),),
            ),
            Plan(
                "larger leaves",
                "min_samples_leaf × 3: smoother trees",
                (Change("min_samples_leaf", 1, 3.0, 3),),
            ),
        ]
    if base in _C_LINEAR:
        return [
            Plan("weaker regularisation", "C × 10", (Change("C", 1.0, 10.0),)),
            Plan("stronger regularisation", "C ÷ 10", (Change("C", 1.0, 0.1),)),
        ]
    if base in _ALPHA_LINEAR:
        return [
            Plan("weaker regularisation", "alpha ÷ 10", (Change("alpha", 1.0, 0.1),)),
            Plan("stronger regularisation", "alpha × 10", (Change("alpha", 1.0, 10.0),)),
        ]
    if base in _NEIGHBOURS:
        return [
            Plan("twice the neighbours", "n_neighbors × 2: smoother", (Change("n_neighbors", 5, 2.0),)),
            Plan("half the neighbours", "n_neighbors ÷ 2: more local", (Change("n_neighbors", 5, 0.5, 1),)),
        ]
    return []


@dataclass(frozen=True)
class Estimator:
    """One constructor call of a known model class inside a block."""

    block: str
    name: str
    index: int  # position among the block's known estimator calls
    node: ast.Call


def estimators(nb: NotebookNode) -> list[Estimator]:
    found: list[Estimator] = []
    for cell in code_cells(nb):
        if not cell.block:
            continue
        try:
            tree = safe_ast.parse(cell.source)
        except SyntaxError:
            continue
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _plans(_call_name(n))]
        calls.sort(key=lambda n: (n.lineno, n.col_offset))
        found += [Estimator(cell.block, _call_name(c), i, c) for i, c in enumerate(calls)]
    return found


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _literal(node: ast.Call, param: str) -> tuple[bool, Any]:
    """(True, value) when `param` is absent (value None) or a number literal; (False, None) otherwise."""
    if any(k.arg is None for k in node.keywords):
        return False, None  # **kwargs: the real value cannot be read
    for keyword in node.keywords:
        if keyword.arg == param:
            try:
                value = ast.literal_eval(keyword.value)
            except ValueError:
                return False, None
            return (
                (True, value)
                if isinstance(value, (int, float)) and not isinstance(value, bool)
                else (False, None)
            )
    return True, None


def _applied(node: ast.Call, plan: Plan) -> ast.Call | None:
    new = copy.deepcopy(node)
    for change in plan.changes:
        readable, value = _literal(node, change.param)
        current = value if value is not None else change.default
        if not readable or current is None:
            return None
        target = current * change.factor
        if change.minimum is not None:
            target = max(target, change.minimum)
        integer = change.param in _INTEGER
        target = min(round(target), MAX_ROUNDS) if integer else float(f"{target:.6g}")
        new.keywords = [k for k in new.keywords if k.arg != change.param]
        new.keywords.append(ast.keyword(arg=change.param, value=ast.Constant(target)))
    return new


def _with_call(nb: NotebookNode, estimator: Estimator, call: ast.Call) -> NotebookNode:
    """`nb` with exactly the source of `estimator`'s call replaced by `call`."""
    source = next(b.source for b in blocks(nb) if b.name == estimator.block)
    lines = source.split("\n")
    node = estimator.node
    start = _offset(lines, node.lineno, node.col_offset)
    end = _offset(lines, node.end_lineno or node.lineno, node.end_col_offset or 0)
    return replace_block(nb, estimator.block, source[:start] + ast.unparse(call) + source[end:])


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of an AST (line, UTF-8 byte column) position in '\n'-joined `lines`."""
    before = sum(len(line) + 1 for line in lines[: lineno - 1])
    return before + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def design_ablation(nb: NotebookNode) -> list[AblationVariant]:
    """Per block: its estimators with the author's hyper-parameters reset to the library defaults."""
    variants = []
    for block in dict.fromkeys(e.block for e in estimators(nb)):
        variant, reset = nb, []
        for estimator in reversed([e for e in estimators(nb) if e.block == block]):
            knobs = {c.param for p in _plans(estimator.name) for c in p.changes}
            set_here = [k.arg for k in estimator.node.keywords if k.arg in knobs]
            if set_here:
                plain = copy.deepcopy(estimator.node)
                plain.keywords = [k for k in plain.keywords if k.arg not in knobs]
                current = [e for e in estimators(variant) if e.block == block][estimator.index]
                variant = _with_call(variant, current, plain)
                reset.append(f"{estimator.name}({', '.join(a for a in set_here if a)})")
        if reset:
            variants.append(
                AblationVariant(block, f"{block}: library defaults for {'; '.join(reset)}", variant)
            )
    return variants


def _open_plans(
    nb: NotebookNode, block: str, history: list[Attempt]
) -> list[tuple[Estimator, Plan, ast.Call]]:
    """Plans still worth trying on `block`: not tried yet, or tried and kept (it may help again)."""
    spent = {a.title for a in history if a.status != "ok" or (a.delta is not None and a.delta <= 0)}
    found = []
    for estimator in estimators(nb):
        if estimator.block != block:
            continue
        for plan in _plans(estimator.name):
            title = f"{estimator.name}: {plan.title}"
            call = _applied(estimator.node, plan)
            if title not in spent and call is not None:
                found.append((estimator, plan, call))
    return found


def choose_block(
    nb: NotebookNode, score: float, table: list[AblationRow], refined: list[str]
) -> BlockChoice | None:
    """The block whose tuning matters most (largest measured |Δ|), else the first with a plan left."""
    open_blocks = [b for b in dict.fromkeys(e.block for e in estimators(nb)) if _open_plans(nb, b, [])]
    pool = [b for b in open_blocks if b not in refined] or open_blocks
    if not pool:
        return None
    measured = {
        r.block: r.delta for r in table if r.status == "ok" and r.delta is not None and r.block in pool
    }
    if measured:
        block, delta = max(measured.items(), key=lambda item: abs(item[1]))
        if abs(delta) > NOISE * max(abs(score), 1e-9):
            return BlockChoice(
                block, f"resetting the hyper-parameters of {block} gives Δ={delta:+.6g}, the largest effect"
            )
    return BlockChoice(pool[0], f"{pool[0]} holds the first model whose hyper-parameters can be tuned safely")


def plan_refinement(nb: NotebookNode, block: str, history: list[Attempt]) -> Draft | None:
    plans = _open_plans(nb, block, history)
    if not plans:
        return None
    estimator, plan, call = plans[0]
    return Draft(
        notebook=_with_call(nb, estimator, call),
        title=f"{estimator.name}: {plan.title}",
        plan=f"{plan.text}; only the {estimator.name}(...) call of block {block} changes: "
        f"{ast.unparse(call)}",
        block=block,
        block_kind="model",
        info={"estimator": estimator.name, "call": ast.unparse(call)},
    )
