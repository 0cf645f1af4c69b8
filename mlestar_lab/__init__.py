"""mlestar-lab: the MLE-STAR agent for Kaggle competitions, building real notebooks."""

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    """Jupyter's entry point; the import is deferred so the CLI and the agent never load Jupyter."""
    from mlestar_lab.server.app import MlestarServerExtension

    return [{"module": "mlestar_lab.server.app", "app": MlestarServerExtension}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where `jupyter labextension develop` finds the built panel (a wheel installs it as shared-data)."""
    return [{"src": "labextension", "dest": "mlestar-lab"}]
