"""Kaggle in and out: download competitions, import notebooks, push kernels, submit.

Everything that talks to Kaggle goes through `client.KaggleSession`, which imports the real
`kaggle` package lazily (importing it authenticates, prints and may call the network) and turns
every failure into one `KaggleError` with a message that says what to do.
"""
