"""`RunPanel`: a run in any notebook front end that renders ipywidgets 8 (JupyterLab, Notebook,
VS Code, Colab, Kaggle), built from stock widgets only, updating itself while the run goes on.

Layout only: what is shown comes from `PanelModel` (state.py), answers go through it, and the
HTML comes from render.py / plot.py. Stable classes for tests and styling: `mlestar-panel`,
`mlestar-header`, `mlestar-status-<status>`, `mlestar-decisions`, `mlestar-decision-<id>`,
`mlestar-approve|reject|edit`, `mlestar-refresh`, `mlestar-panel-message`.
"""

from __future__ import annotations

import threading
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

from mlestar_lab.report import STAGE_ORDER
from mlestar_lab.store.models import Decision, DecisionAnswer
from mlestar_lab.widget.decision_form import DecisionForm
from mlestar_lab.widget.live import Poller
from mlestar_lab.widget.plot import score_svg
from mlestar_lab.widget.render import BAD, ablations_html, block, header_html, stages_html, steps_table_html
from mlestar_lab.widget.state import PanelModel, PanelState

if TYPE_CHECKING:
    from mlestar_lab.client.run import Run

TABS = ("Ablations & plans", "Ensembles", "Score", "Steps")


class RunPanel(widgets.VBox):
    def __init__(self, run: Run, interval: float = 1.0, start: bool = True) -> None:
        self.run = run
        self.model = PanelModel(run.lab.store, run.id, run.lab.agents.alive)
        self._lock = threading.RLock()
        self.header = _html("mlestar-header-box")
        self.stages = _html("mlestar-stages-box")
        self.progress = widgets.IntProgress(min=0, max=len(STAGE_ORDER) - 1, description="stage")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh", tooltip="re-read the run")
        self.refresh_button.add_class("mlestar-refresh")
        self.refresh_button.on_click(lambda _button: self.refresh_and_follow())
        self.decisions = widgets.VBox()
        self.decisions.add_class("mlestar-decisions")
        self.forms: dict[int, DecisionForm] = {}
        self.message = _html("mlestar-panel-message")
        self.pages = {name: _html(f"mlestar-tab-{i}") for i, name in enumerate(TABS)}
        self.tabs = widgets.Tab(children=list(self.pages.values()), titles=TABS)
        super().__init__(
            children=[
                widgets.HBox([self.header, self.refresh_button]),
                self.stages,
                self.progress,
                self.decisions,
                self.message,
                self.tabs,
            ]
        )
        self.add_class("mlestar-panel")
        self.poller = Poller(self._tick, interval, self._show_error, follows=f"{run.lab.store.path}#{run.id}")
        self.show(self.model.state)
        if start and not self.model.state.ended:
            self.poller.start()

    def refresh(self) -> bool:
        """Re-read the run and update the widgets if it changed; whether it did."""
        with self._lock:
            changed = self.model.refresh()
            if changed:
                self.show(self.model.state)
            return changed

    def refresh_and_follow(self) -> None:
        """The Refresh button: update now, and follow again a run resumed after the panel stopped."""
        self.message.value = ""
        self.refresh()
        if not self.model.state.ended:
            self.poller.start()

    def show(self, state: PanelState) -> None:
        report = state.report
        self.header.value = block(header_html(state))
        self.stages.value = stages_html(state)
        stage = state.run.stage
        self.progress.value = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else 0
        self.progress.bar_style = {"finished": "success", "failed": "danger"}.get(state.run.status, "info")
        self.pages[TABS[0]].value = block(ablations_html(state))
        self.pages[TABS[1]].value = steps_table_html(report["ensembles"], "mlestar-ensembles", "strategy")
        self.pages[TABS[2]].value = score_svg(state.scores(), state.run.metric, state.run.higher_is_better)
        self.pages[TABS[3]].value = steps_table_html(report["steps"], "mlestar-steps")
        self._show_decisions(state.pending)

    def close(self) -> None:
        self.poller.stop()
        super().close()

    def _show_decisions(self, pending: list[Decision]) -> None:
        """A form per pending decision; forms stay as they are (with what the user typed) while
        their decision is pending, and go once it is answered, from here or anywhere else."""
        ids = [d.id for d in pending if d.id is not None]
        for decision in pending:
            if decision.id is not None and decision.id not in self.forms:
                self.forms[decision.id] = DecisionForm(decision, self._submit)
        for gone in set(self.forms) - set(ids):
            self.forms.pop(gone).close()
        self.decisions.children = [self.forms[i] for i in ids]

    def _submit(self, decision: Decision, answer: DecisionAnswer) -> Decision:
        assert decision.id is not None
        with self._lock:
            answered = self.model.answer(decision.id, answer)
            self.show(self.model.state)
        return answered

    def _tick(self) -> bool:
        self.refresh()
        return not self.model.state.ended

    def _show_error(self, exc: BaseException) -> None:
        self.message.value = (
            f'<span style="color:{BAD}">the panel stopped updating: {escape(type(exc).__name__)}: '
            f"{escape(str(exc))} — press Refresh to try again</span>"
        )


def _html(cls: str) -> widgets.HTML:
    view = widgets.HTML()
    view.add_class(cls)
    return view
