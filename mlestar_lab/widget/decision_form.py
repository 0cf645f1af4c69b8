"""One pending decision in the panel: what is asked, the fields its gate lets a user edit, and the
Approve / Reject / Edit buttons.

The buttons carry stable classes (`mlestar-approve`, `mlestar-reject`, `mlestar-edit`) and the form
`mlestar-decision-<id>`, so a browser test can find and click them.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from mlestar_lab.errors import UserError
from mlestar_lab.formatting import fmt_score
from mlestar_lab.store.models import Decision, DecisionAnswer
from mlestar_lab.widget.render import BAD, GOOD, block, decision_html
from mlestar_lab.widget.state import edit_answer

Submit = Callable[[Decision, DecisionAnswer], Decision]


def _wide(height: str | None = None) -> widgets.Layout:
    return widgets.Layout(width="98%", height=height)


class DecisionForm(widgets.VBox):
    def __init__(self, decision: Decision, submit: Submit) -> None:
        self.decision = decision
        self.submit = submit
        self.reason = widgets.Text(
            description="Reason",
            placeholder="why (needed to reject; later plans are told)",
            layout=_wide(),
        )
        self.reason.add_class("mlestar-reason")
        self.fields = _edit_fields(decision)
        self.buttons = {
            "approve": _button("Approve", "success", "check", "let the proposed step go ahead"),
            "reject": _button("Reject", "danger", "times", "skip it; the reason is recorded"),
            "edit": _button("Edit", "warning", "pencil", "send the changed fields below"),
        }
        self.buttons["edit"].disabled = not self.fields
        for action, button in self.buttons.items():
            button.on_click(lambda _button, action=action: self.click(action))
        self.message = widgets.HTML()
        self.message.add_class("mlestar-decision-message")
        super().__init__(
            children=[
                widgets.HTML(block(decision_html(decision))),
                *self.fields.values(),
                self.reason,
                widgets.HBox(list(self.buttons.values())),
                self.message,
            ],
            layout=widgets.Layout(border="1px solid #bf8700", padding="4px", margin="4px 0"),
        )
        self.add_class("mlestar-decision")
        self.add_class(f"mlestar-decision-{decision.id}")
        self.add_class(f"mlestar-gate-{decision.gate}")

    def answer(self, action: str) -> DecisionAnswer:
        reason = self.reason.value.strip() or None
        if action == "edit":
            values: dict[str, Any] = {name: field.value for name, field in self.fields.items()}
            if "families" in values:
                values["families"] = list(values["families"])
            return edit_answer(self.decision, reason, **values)
        return DecisionAnswer(action=action, reason=reason)  # type: ignore[arg-type]

    def click(self, action: str) -> None:
        """Send the answer; a refused one leaves the form as it was, with the reason shown."""
        try:
            answered = self.submit(self.decision, self.answer(action))
        except UserError as exc:
            self.message.value = f'<span style="color:{BAD}">{escape(str(exc))}</span>'
            return
        for button in self.buttons.values():
            button.disabled = True
        self.message.value = f'<span style="color:{GOOD}">{escape(answered.status)}</span>'


def _button(text: str, style: str, icon: str, tooltip: str) -> widgets.Button:
    button = widgets.Button(description=text, button_style=style, icon=icon, tooltip=tooltip)
    button.add_class(f"mlestar-{text.lower()}")
    return button


def _edit_fields(decision: Decision) -> dict[str, widgets.Widget]:
    """Input widgets for what this gate lets a user change, filled with the proposal."""
    request, editable = decision.request, decision.request.get("editable", [])
    fields: dict[str, widgets.Widget] = {}
    if "families" in editable and request.get("available_families"):
        chosen = [f["name"] for f in request.get("families", [])]
        fields["families"] = widgets.SelectMultiple(
            options=request["available_families"],
            value=chosen,
            description="Families",
            rows=6,
            layout=_wide(),
        )
    if decision.gate == "ablation" and "block" in editable and request.get("blocks"):
        fields["block"] = widgets.Dropdown(
            options=request["blocks"], value=request.get("chosen"), description="Refine", layout=_wide()
        )
    if "step_id" in editable and request.get("choices"):
        options = [
            (f"#{c['step_id']} {c['title']} ({fmt_score(c['score'])})", c["step_id"])
            for c in request["choices"]
        ]
        fields["step_id"] = widgets.Dropdown(
            options=options, value=request.get("proposed"), description="Submit", layout=_wide()
        )
    if "plan" in editable and request.get("code") is not None:
        fields["plan"] = widgets.Textarea(value=request.get("plan") or "", description="Plan", layout=_wide())
    if "code" in editable and request.get("code") is not None:
        fields["code"] = widgets.Textarea(value=request["code"], description="Code", layout=_wide("220px"))
    for name, field in fields.items():
        field.add_class(f"mlestar-edit-{name}")
    return fields
