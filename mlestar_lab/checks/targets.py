"""Where code touches the target: target columns, and statistics aggregated from the target.

Kept apart from the taint analysis because these are purely syntactic questions about one
expression or one statement: "does this select the target column?" and "does this groupby
chain aggregate the target?".
"""

from __future__ import annotations

import ast

from mlestar_lab.checks.taint import is_target_name, mentions


def names_target(node: ast.Subscript | ast.Attribute, target: str | None) -> bool:
    """`frame[target]`, `frame["Label"]`, `frame[TARGET]`, `frame.Label`: the target column.

    A bare `y` is not a column name (`frame[y]` is a mask or an index far more often).
    """
    if isinstance(node, ast.Attribute):
        return target is not None and node.attr == target
    key = node.slice
    if isinstance(key, ast.Name):
        return is_target_name(key.id) and not key.id.lower().startswith("y")
    return mentions(key, target, names=False)


def target_aggregations(stmt: ast.stmt, target: str | None) -> list[tuple[ast.Call, ast.AST]]:
    """(groupby call, top of its chain) for each `X.groupby(...)` in `stmt` that aggregates the target.

    The target is aggregated when the grouped object is the target (`y.groupby(key)`), or a
    selection or aggregation after the groupby names it (`[target]`, `.agg({target: 'mean'})`,
    `.apply(lambda g: g[target].mean())`). A target used only as the grouping key is not.
    """
    parents = {child: parent for parent in ast.walk(stmt) for child in ast.iter_child_nodes(parent)}
    found = []
    for node in ast.walk(stmt):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "groupby"
        ):
            top = _aggregated_chain(node, node.func.value, parents, target)
            if top is not None:
                found.append((node, top))
    return found


def _aggregated_chain(
    groupby: ast.Call, grouped: ast.expr, parents: dict[ast.AST, ast.AST], target: str | None
) -> ast.AST | None:
    hit = mentions(grouped, target)
    current: ast.AST = groupby
    while (parent := parents.get(current)) is not None:
        if isinstance(parent, ast.Subscript) and parent.value is current:
            hit = hit or mentions(parent.slice, target)
        elif isinstance(parent, ast.Call) and parent.func is current:
            values = [*parent.args, *(k.value for k in parent.keywords)]
            hit = hit or any(mentions(v, target) for v in values)
        elif not (isinstance(parent, ast.Attribute) and parent.value is current):
            break
        current = parent
    return current if hit else None
