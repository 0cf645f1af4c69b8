"""The Python API for notebooks: start, attach to, wait for, read and steer MLE-STAR runs.

    from mlestar_lab.client import Lab
    lab = Lab()                                   # ./mlestar-runs, or /kaggle/working/... on Kaggle
    run = lab.start("path/to/competition", time_budget="5m", gates="ablation=ask")
    run.panel()                                   # live ipywidgets view with Approve/Reject/Edit
    run.wait(); run.decisions(); run.approve(decision)
    run.best_score, run.submission_path, run.ablations(), run.steps_frame()

The same objects the CLI and the server use (run store, `create_run`, `answer_decision`,
`run_report`); nothing here is a second implementation.
"""

from mlestar_lab.client.lab import Lab, workspace_root
from mlestar_lab.client.run import Run

__all__ = ["Lab", "Run", "workspace_root"]
