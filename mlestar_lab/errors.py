"""Errors a user can act on.

Every error that reaches the CLI (or, later, the server) as a `UserError` is shown as one line
that says what is wrong and what to do, never as a traceback.
"""


class UserError(Exception):
    """Bad input from the user: a task folder, a flag, a run id. The message says what to fix."""


class TaskError(UserError):
    """A competition folder that cannot become a Task."""


class RunNotFound(UserError):
    """A run id that the run store does not know."""
