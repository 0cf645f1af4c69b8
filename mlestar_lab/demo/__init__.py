"""Demo competitions built offline from data bundled with scikit-learn."""

from mlestar_lab.demo.competition import build_classification_demo, build_demo_task, build_multiclass_demo

__all__ = ["build_classification_demo", "build_demo_task", "build_multiclass_demo"]
