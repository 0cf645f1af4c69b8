"""Strategists: the decision makers behind the MLE-STAR loop (offline default; LLMs later)."""
