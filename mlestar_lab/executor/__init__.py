"""The executor: every candidate notebook runs under papermill in its own OS process."""
