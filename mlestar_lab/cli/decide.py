"""`mlestar decisions RUN`, `mlestar approve|reject|edit RUN DECISION`: answering a run's gates.

The same validation as the server and the widget (`mlestar_lab.agent.answers`); the agent, in its
own process, sees the answer within a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mlestar_lab.agent.answers import answer_decision
from mlestar_lab.errors import UserError
from mlestar_lab.store.models import Decision, DecisionAnswer
from mlestar_lab.store.store import RunStore

COMMANDS = ("decisions", "approve", "reject", "edit")


def add_decision_parsers(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser("decisions", help="a run's pending decisions (--all: answered ones too)")
    listing.add_argument("run_id")
    listing.add_argument("--all", action="store_true")
    listing.add_argument("--json", action="store_true")
    for action, text in (
        ("approve", "let the proposed step go ahead"),
        ("reject", "skip it; the reason is recorded and later plans see it"),
        ("edit", "change it: a block's code, the block to refine, the families or the submission"),
    ):
        parser = commands.add_parser(action, help=text)
        parser.add_argument("run_id")
        parser.add_argument("decision_id", type=int)
        parser.add_argument("--reason", required=action == "reject", help="why (required to reject)")
        if action == "edit":
            parser.add_argument("--code-file", help="file holding the new code of the block")
            parser.add_argument("--block", help="the block the code replaces, or the block to refine")
            parser.add_argument(
                "--plan",
                help="with --code-file: what the code carries out; alone: a plan the strategist carries out",
            )
            parser.add_argument("--families", help="comma-separated model families (retrieval gate)")
            parser.add_argument("--step", type=int, help="the step whose submission to use")


def run_decision_command(args: argparse.Namespace, store: RunStore) -> int:
    run = store.find_run(args.run_id)
    if args.command == "decisions":
        found = store.decisions(run.id, status=None if args.all else "pending")
        if args.json:
            print(json.dumps([d.model_dump(mode="json") for d in found], indent=2))
        else:
            print("\n\n".join(describe(d) for d in found) or f"run {run.id} has no pending decision")
        return 0
    decision = answer_decision(store, run.id, args.decision_id, _answer(args))
    print(f"decision {decision.id} of run {run.id}: {decision.status}")
    return 0


def _answer(args: argparse.Namespace) -> DecisionAnswer:
    if args.command != "edit":
        return DecisionAnswer(action=args.command, reason=args.reason)
    code = None
    if args.code_file:
        try:
            code = Path(args.code_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read --code-file {args.code_file}: {exc.strerror}") from exc
    families = [f.strip() for f in args.families.split(",") if f.strip()] if args.families else None
    return DecisionAnswer(
        action="edit",
        reason=args.reason,
        code=code,
        block=args.block,
        plan=args.plan,
        families=families,
        step_id=args.step,
    )


def describe(decision: Decision) -> str:
    """A decision as a terminal reader needs it: what is asked, the plan and diff, what can change."""
    request = decision.request
    lines = [f"decision {decision.id} · {decision.gate} · {decision.status}: {decision.title}"]
    for label, key in (("plan", "plan"), ("why", "reason")):
        if request.get(key):
            lines.append(f"  {label}: {request[key]}")
    if request.get("table"):
        for row in request["table"]:
            lines.append(f"  ablate {row['block']:<22} Δ {row['delta']}  ({row['status']})")
    for choice in request.get("choices", []):
        lines.append(f"  choice: step {choice['step_id']} {choice['title']} ({choice['score']})")
    if request.get("families"):
        lines.append("  families: " + ", ".join(f["name"] for f in request["families"]))
    for finding in request.get("findings", []):
        lines.append(f"  {finding['severity']}: {finding['message']}")
    if request.get("diff"):
        lines.append("  diff:\n" + "\n".join("    " + line for line in request["diff"].splitlines()))
    lines.append(f"  edit accepts: {', '.join(request.get('editable', []))}")
    if decision.answer is not None:
        lines.append(f"  answered: {decision.answer.action} ({decision.answer.reason or 'no reason'})")
    return "\n".join(lines)
