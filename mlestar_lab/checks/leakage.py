"""Static data-leakage checker: a taint analysis of a candidate notebook's code.

It runs before a candidate executes, so leaky code is fixed or rejected instead of scored
(MLE-STAR reports a validation score rising while the test score fell when this check is off).
It finds three kinds of leak:

- something fitted on test rows, or on a concatenation of train and test rows (`.fit`,
  `.fit_transform`, `.fit_resample`, `cross_val_score`, `lgb.train` …): test rows enter the
  analysis where they are read (a string naming the test file) or through names that say so
  (`X_test`), and flow through assignments, attribute and column access, calls, concat, append
  and merge. Describing test data (`test.columns`, `len(test)`) carries none of its rows, and
  rows sliced back out of a train+test frame (`all_df[:n_train]`) are training rows again;
- target statistics (`groupby(...)[target].mean()`) computed over all training rows, outside a
  fold loop and outside a function (a helper is assumed to be called per fold);
- reading the target column of test data.

A certain leak is an `error`; code whose rows cannot be told statically (a mask over a
train+test frame, a validation-named frame passed to `fit`) is a `warning`. Each finding names
its block and the line inside the block.
"""

from __future__ import annotations

import ast
from pathlib import Path

from nbformat import NotebookNode

from mlestar_lab import safe_ast
from mlestar_lab.checks.source import CodeCell, code_cells
from mlestar_lab.checks.taint import (
    BOOSTING_MODULES,
    BOOSTING_TRAIN,
    CONCAT_FUNCTIONS,
    EVAL_KEYWORDS,
    FIT_FUNCTIONS,
    FIT_METHODS,
    MERGE_METHODS,
    META_ATTRIBUTES,
    META_FUNCTIONS,
    Taint,
    call_name,
    clean_source,
    combine,
    fold_loop,
    is_test_name,
    is_test_path,
    is_validation_name,
    path_or_string,
    query_selection,
    root_name,
    row_selection,
    unpacked,
)
from mlestar_lab.checks.targets import names_target, target_aggregations
from mlestar_lab.notebook.contract import PARAMETERS_BLOCK
from mlestar_lab.store.models import Finding, Severity
from mlestar_lab.task.model import Task

CHECKER = "leakage"
_ASSIGNMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign)
_SIMPLE = (*_ASSIGNMENTS, ast.Expr, ast.Return)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def check_leakage(nb_or_code: NotebookNode | str, task: Task | None = None) -> list[Finding]:
    """Leakage findings for a candidate notebook (or a code string), in code order."""
    return _Analysis(task).run(code_cells(nb_or_code))


def _short(node: ast.AST, limit: int = 90) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Analysis:
    def __init__(self, task: Task | None) -> None:
        self.target = task.target if task else None
        self.test_files = frozenset({Path(task.test_file).name} if task else set())
        self.env: dict[str, Taint | None] = {}
        self.labelled: set[str] = set()  # frames whose target column the code itself filled
        self.findings: list[Finding] = []
        self.seen: set[tuple[str | None, int | None, str]] = set()
        self.memo: dict[int, Taint | None] = {}
        self.cell = CodeCell(block=None, index=None, source="")
        self.fold_depth = 0
        self.func_depth = 0

    def run(self, cells: list[CodeCell]) -> list[Finding]:
        for cell in cells:
            self.cell = cell
            try:
                tree = safe_ast.parse(cell.source)
            except (SyntaxError, ValueError, RecursionError) as exc:
                reason, line = (exc.msg, exc.lineno) if isinstance(exc, SyntaxError) else (str(exc), None)
                self.report(
                    "warning", f"{cell.label} does not parse ({reason}); it was not checked for leakage", line
                )
                continue
            self.memo = {}
            try:
                self.statements(tree.body)
            except RecursionError:
                self.report("warning", f"{cell.label} nests too deeply to be checked for leakage", None)
        return self.findings

    def report(self, severity: Severity, message: str, line: int | None) -> None:
        key = (self.cell.block, line, message)
        if key not in self.seen:
            self.seen.add(key)
            self.findings.append(
                Finding(checker=CHECKER, severity=severity, message=message, block=self.cell.block, line=line)
            )

    def where(self, node: ast.AST) -> str:
        return f"{self.cell.label}, line {getattr(node, 'lineno', '?')}"

    # -- statements -------------------------------------------------------------------------

    def statements(self, body: list[ast.stmt]) -> None:
        for node in body:
            self.statement(node)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.scope(node)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.bind(node.target, None, self.expr(node.iter))
            fold = fold_loop(node)
            self.fold_depth += fold
            self.statements(node.body)
            self.fold_depth -= fold
            self.statements(node.orelse)
        else:
            if isinstance(node, _SIMPLE) and not (self.fold_depth or self.func_depth):
                self.target_statistics(node)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                taint = self.expr(node.value)
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    self.bind(target, node.value, taint)
            elif isinstance(node, ast.AugAssign):
                taint = self.expr(node.value)
                if isinstance(node.target, ast.Name):
                    self.env[node.target.id] = combine([self.expr(node.target), taint])
                else:
                    self.bind(node.target, None, taint)
            else:
                self.generic(node)

    def generic(self, node: ast.AST) -> None:
        """Expressions and nested bodies of any other statement (if, while, with, try, match …)."""
        for value in ast.iter_fields(node):
            items = value[1] if isinstance(value[1], list) else [value[1]]
            for item in items:
                if isinstance(item, ast.stmt):
                    self.statement(item)
                elif isinstance(item, ast.expr):
                    self.expr(item)
                elif isinstance(item, ast.withitem):
                    taint = self.expr(item.context_expr)
                    if item.optional_vars is not None:
                        self.bind(item.optional_vars, item.context_expr, taint)
                elif isinstance(item, (ast.ExceptHandler, ast.match_case)):
                    self.statements(item.body)

    def scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        """A function body, analysed once with its own names; test-named parameters are test data."""
        saved_env, saved_labelled = dict(self.env), set(self.labelled)
        if not isinstance(node, ast.ClassDef):
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]:
                named = Taint("test", f"parameter `{arg.arg}`, named like test data")
                self.env[arg.arg] = named if is_test_name(arg.arg) else None
        self.func_depth += 1
        self.statements(node.body)
        self.func_depth -= 1
        self.env, self.labelled = saved_env, saved_labelled

    def bind(self, target: ast.expr, value: ast.expr | None, taint: Taint | None) -> None:
        if isinstance(target, ast.Name):
            if taint is None and is_test_name(target.id) and not clean_source(value):
                taint = Taint("test", f"`{target.id}`, named like test data")
            self.env[target.id] = taint
            self.labelled.discard(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            pairs = isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            for index, element in enumerate(target.elts):
                if pairs and isinstance(value, (ast.Tuple, ast.List)):
                    self.bind(element, value.elts[index], self.expr(value.elts[index]))
                else:
                    self.bind(element, None, unpacked(element, taint))
        elif isinstance(target, ast.Starred):
            self.bind(target.value, None, taint)
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            self.bind_item(target, taint)

    def bind_item(self, target: ast.Subscript | ast.Attribute, taint: Taint | None) -> None:
        """`frame[col] = value`: a clean frame that receives values computed from test rows."""
        base = self.expr(target.value)
        root = root_name(target)
        if isinstance(target, ast.Subscript):
            self.expr(target.slice)
        if root is None:
            return
        if names_target(target, self.target):
            self.labelled.add(root)
        if taint is not None and base is None:
            self.env[root] = Taint("mixed", f"values computed from {taint.origin}", certain=False)

    # -- expressions ------------------------------------------------------------------------

    def expr(self, node: ast.expr) -> Taint | None:
        key = id(node)
        if key not in self.memo:
            self.memo[key] = self.evaluate(node)
        return self.memo[key]

    def evaluate(self, node: ast.expr) -> Taint | None:
        if isinstance(node, ast.Constant):
            if self.cell.block == PARAMETERS_BLOCK:
                return None  # DATA_DIR and friends name folders holding train and test alike
            if isinstance(node.value, str) and is_test_path(node.value, self.test_files):
                return Taint("test", f"rows read from {node.value!r} ({self.where(node)})")
            return None
        if isinstance(node, ast.JoinedStr):
            text = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
            parts = [self.expr(v) for v in node.values]
            if is_test_path(text, self.test_files):
                return Taint("test", f"rows read from {_short(node)} ({self.where(node)})")
            return combine(parts)
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return self.env[node.id]
            return Taint("test", f"`{node.id}`, named like test data") if is_test_name(node.id) else None
        if isinstance(node, ast.Attribute):
            base = self.expr(node.value)
            if node.attr in META_ATTRIBUTES:
                return None
            self.test_label(node, base)
            return base
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Lambda):
            return None
        if isinstance(node, ast.NamedExpr):
            taint = self.expr(node.value)
            self.bind(node.target, node.value, taint)
            return taint
        if isinstance(node, _COMPREHENSIONS):
            for generator in node.generators:
                self.bind(generator.target, None, self.expr(generator.iter))
        return combine([self.expr(c) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)])

    def subscript(self, node: ast.Subscript) -> Taint | None:
        base = self.expr(node.value)
        self.expr(node.slice)
        if base is None:
            return None
        if base.kind == "test":
            if isinstance(node.ctx, ast.Load):
                self.test_label(node, base)
            return base
        selection = row_selection(node.slice, self.target)
        if selection == "train":
            return None
        if selection == "test":
            return Taint("test", base.origin, base.certain)
        return base if selection == "all" else Taint("mixed", base.origin, certain=False)

    def call(self, node: ast.Call) -> Taint | None:
        receiver, name = call_name(node)
        if receiver is not None:
            received = self.expr(receiver)
        elif not isinstance(node.func, ast.Name):
            received = self.expr(node.func)
        else:
            received = None
        args = [self.expr(a) for a in node.args]
        keywords = {k.arg: self.expr(k.value) for k in node.keywords}
        self.check_fit(node, receiver, name, received, args)
        if receiver is None and name in META_FUNCTIONS:
            return None
        if name in CONCAT_FUNCTIONS:
            return self.concat(node, receiver, name)
        if name in MERGE_METHODS and receiver is not None and not path_or_string(receiver):
            other = combine([*args, *keywords.values()])
            if received is None and other is not None:
                return Taint("mixed", f"a merge with {other.origin}", certain=False)
            return received
        if received is not None and received.kind == "mixed" and name in {"head", "tail", "query"}:
            return self.selected(node, name, received)
        return combine([received, *args, *keywords.values()])

    def selected(self, node: ast.Call, name: str, received: Taint) -> Taint | None:
        """`all_df.head(n)` / `.tail(n)` / `.query("is_train == 1")` of a train+test frame."""
        if name == "head":
            return None
        if name == "tail":
            return Taint("test", received.origin, received.certain)
        query = node.args[0] if node.args else None
        text = query.value if isinstance(query, ast.Constant) and isinstance(query.value, str) else ""
        selection = query_selection(text, self.target)
        if selection == "train":
            return None
        return Taint("test" if selection == "test" else "mixed", received.origin, selection == "test")

    def concat(self, node: ast.Call, receiver: ast.expr | None, name: str) -> Taint | None:
        parts: list[ast.expr] = [receiver] if name == "append" and receiver is not None else []
        for arg in node.args:
            parts.extend(arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg])
        taints = [self.expr(p) for p in parts]
        tainted = [t for t in taints if t is not None]
        if not tainted:
            return None
        by_columns = any(
            k.arg == "axis" and isinstance(k.value, ast.Constant) and k.value.value in (1, "columns")
            for k in node.keywords
        )
        if by_columns or len(tainted) == len(parts):
            return combine(tainted)
        return Taint("mixed", f"a concatenation of train and test rows ({self.where(node)})")

    # -- checks -----------------------------------------------------------------------------

    def check_fit(
        self,
        node: ast.Call,
        receiver: ast.expr | None,
        name: str,
        received: Taint | None,
        args: list[Taint | None],
    ) -> None:
        method = receiver is not None and name in FIT_METHODS
        module = receiver.id if isinstance(receiver, ast.Name) else ""
        boosting = module in BOOSTING_MODULES and name in BOOSTING_TRAIN
        if not (method or boosting or (receiver is None and name in FIT_FUNCTIONS)):
            return
        inputs: list[tuple[ast.expr, Taint | None]] = list(zip(node.args, args, strict=True))
        inputs += [(k.value, self.expr(k.value)) for k in node.keywords if k.arg not in EVAL_KEYWORDS]
        if method and receiver is not None:
            inputs.insert(0, (receiver, received))
        taint = combine([t for _, t in inputs])
        call = _short(node)
        if taint is not None:
            source = next(n for n, t in inputs if t is taint)
            if taint.certain:
                rows = "test rows" if taint.kind == "test" else "train and test rows together"
                self.report(
                    "error",
                    f"`{call}` fits on {rows}: `{_short(source, 60)}` comes from {taint.origin}. "
                    "Fit on training rows only (the training fold, inside the fold loop) and only "
                    "transform or predict the test rows.",
                    node.lineno,
                )
            else:
                self.report(
                    "warning",
                    f"`{call}` may fit on test rows: `{_short(source, 60)}` comes from {taint.origin}, "
                    "and which rows it keeps cannot be told from the code. Make sure only training rows "
                    "are fitted.",
                    node.lineno,
                )
            return
        first = node.args[0] if node.args else None
        root = root_name(first) if method and first is not None else None
        if root and is_validation_name(root):
            self.report(
                "warning",
                f"`{call}` fits on `{root}`, named like the validation rows; fitting on the rows that are "
                "scored inflates the validation score — fit on the training part of the fold.",
                node.lineno,
            )

    def test_label(self, node: ast.Subscript | ast.Attribute, base: Taint | None) -> None:
        if base is None or not base.certain or base.kind != "test" or root_name(node) in self.labelled:
            return
        if names_target(node, self.target):
            self.report(
                "error",
                f"`{_short(node)}` reads the target column of test data ({base.origin}); test rows have no "
                "labels to learn or score from — validate on out-of-fold predictions of the training rows.",
                node.lineno,
            )

    def target_statistics(self, stmt: ast.stmt) -> None:
        for groupby, top in target_aggregations(stmt, self.target):
            self.report(
                "error" if isinstance(stmt, _ASSIGNMENTS) else "warning",
                f"`{_short(top)}` computes target statistics over all training rows, outside the fold "
                "loop; used as a feature it leaks each row's own label into validation — compute it inside "
                "the fold loop from the training fold only (or in a function called per fold).",
                groupby.lineno,
            )
