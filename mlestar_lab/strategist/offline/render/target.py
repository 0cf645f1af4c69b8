"""The `target_transform` block: what the models learn, and how predictions come back."""

from __future__ import annotations

from mlestar_lab.task.model import Task

TARGET_TITLES = {
    "identity": "the raw target",
    "log1p": "log1p of the target (relative errors, RMSLE-aligned)",
    "sqrt": "square root of the target (tames a skewed count)",
}

_CHECK = """if (y < 0).any():
    raise ValueError(f"the {TARGET_TRANSFORM} target transform needs a non-negative target; use identity")

"""

_TRANSFORMS = {
    "identity": "def forward(values):\n    return values\n\n\ndef inverse(values):\n    return values",
    "log1p": "def forward(values):\n    return np.log1p(values)\n\n\n"
    "def inverse(values):\n    return np.expm1(values)",
    "sqrt": "def forward(values):\n    return np.sqrt(values)\n\n\n"
    "def inverse(values):\n    return np.square(np.clip(values, 0, None))",
}


def render_target(task: Task, transform: str) -> str:
    if task.task_type != "regression":
        return (
            "# Classification: the models learn the class index; predictions are probabilities.\n"
            + _TRANSFORMS["identity"]
            + "\n\n\ny_model = y"
        )
    check = _CHECK if transform != "identity" else ""
    return (
        f"# The models learn {TARGET_TITLES[transform]}; inverse() maps predictions back.\n"
        f"TARGET_TRANSFORM = {transform!r}\n\n{check}{_TRANSFORMS[transform]}\n\n\ny_model = forward(y)"
    )
