"""`mlestar bench`: the agent against LightGBM and FLAML on competitions with hidden answers.

The agent, a default LightGBM and FLAML AutoML each produce a submission per task on the same
machine; every one is graded on the hidden test labels, next to the validation score the system
believed, so the table shows both how good each system is and how well it knows it.
"""
