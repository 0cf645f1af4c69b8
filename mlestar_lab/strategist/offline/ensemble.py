"""Choosing the next ensemble strategy from the scores of the earlier ones.

Rounds start with the standard strategies (mean, OOF-fitted weights, rank averaging for AUC,
stacking), then improve the best strategy so far (e.g. hill climbing restricted to the top
members, stacking with a tuned meta model), then scipy-optimised weights for smooth metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlestar_lab.strategist.base import Attempt
from mlestar_lab.strategist.offline.render.ensemble import STRATEGY_TITLES
from mlestar_lab.task.metrics import get_metric
from mlestar_lab.task.model import Task

SMOOTH_METRICS = ("logloss", "mlogloss", "rmse", "rmsle", "mae", "r2")
IMPROVED = {
    "mean": "top_mean",
    "hill_climb": "hill_climb_top",
    "optimize": "hill_climb_top",
    "top_mean": "hill_climb_top",
    "rank": "rank_hill_climb",
    "stacking": "stacking_tuned",
}


@dataclass(frozen=True)
class StrategyChoice:
    strategy: str
    top_k: int | None
    reason: str


def strategy_of(attempt: Attempt) -> str | None:
    """The strategy an earlier attempt used: from its info, else from its title."""
    name = attempt.info.get("strategy") if attempt.info else None
    if isinstance(name, str):
        return name
    for key, title in STRATEGY_TITLES.items():
        if attempt.title.endswith(title):
            return key
    return None


def next_strategy(task: Task, n_members: int, history: list[Attempt]) -> StrategyChoice | None:
    tried = {s for s in (strategy_of(a) for a in history) if s}
    standard = ["mean", "hill_climb"]
    if task.metric == "auc":
        standard.append("rank")
    standard.append("stacking")
    for strategy in standard:
        if strategy not in tried:
            return StrategyChoice(strategy, None, _STANDARD_REASONS[strategy])
    scored = _ranked(task, history)
    top_k = max(2, (n_members + 1) // 2)
    for position, (score, best) in enumerate(scored):
        improved = IMPROVED.get(best)
        if improved == "hill_climb_top" and top_k >= n_members:
            improved = "top_mean" if best != "top_mean" else None
        if improved and improved not in tried:
            rank = "the best strategy so far" if position == 0 else "a strong strategy so far"
            return StrategyChoice(
                improved,
                top_k if improved == "hill_climb_top" else None,
                f"{STRATEGY_TITLES[improved].capitalize()}: improves {best}, {rank} ({score:.6g}).",
            )
        if position == 0 and task.metric in SMOOTH_METRICS and "optimize" not in tried:
            return StrategyChoice("optimize", None, _STANDARD_REASONS["optimize"])
    if task.metric in SMOOTH_METRICS and "optimize" not in tried:
        return StrategyChoice("optimize", None, _STANDARD_REASONS["optimize"])
    return None


def _ranked(task: Task, history: list[Attempt]) -> list[tuple[float, str]]:
    higher = get_metric(task.metric).higher_is_better
    scored = [
        (a.score, s)
        for a in history
        if a.status == "ok" and a.score is not None and (s := strategy_of(a)) is not None
    ]
    return sorted(scored, key=lambda item: -item[0] if higher else item[0])


_STANDARD_REASONS = {
    "mean": "Simple mean of the members' predictions: the robust first ensemble.",
    "hill_climb": "Weights fitted on the out-of-fold predictions by greedy hill climbing with replacement "
    "(non-negative, summing to 1), so weak or redundant members get little weight.",
    "rank": "Rank averaging: the metric is AUC, which only sees the order of predictions, and ranks put "
    "members with different calibration on one scale.",
    "stacking": "Stacking: a linear meta model on the members' predictions, fitted with the same fixed folds "
    "so its out-of-fold predictions stay honest.",
    "optimize": "Weights optimised on the out-of-fold predictions with scipy (SLSQP, non-negative, summing "
    "to 1): the metric is smooth enough for a gradient-based search.",
}
