"""mlestar-lab: the MLE-STAR agent for Kaggle competitions, building real notebooks."""

__version__ = "0.1.0"
