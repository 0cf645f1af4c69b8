"""The MLE-STAR loop: stages, budgets, persistence and execution, written once for every strategist."""
