"""Jupyter server of the browser tests (`jlpm start` in ui-tests/, started by Playwright).

Galata's helper turns authentication off and adds its test extension. The server root,
`test-artifacts/jupyter-root` (emptied at every start, kept afterwards to look at the runs'
notebooks), holds the bundled demo competition at `competitions/diabetes` (real data that ships
in scikit-learn, so no network) and the run workspace at `<root>/mlestar-runs`, where the panel
opens executed notebooks from. The base URL
stays `/`: Galata's own helpers call `/api/contents` without it (the server's routes are checked
under pytest-jupyter's `/a%40b/` instead, and the panel builds every URL from JupyterLab's
`baseUrl`). MLESTAR_UI_PORT sets the port (default 8893), MLESTAR_UI_ROOT another root.
"""

import os
import shutil
import sys
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

from mlestar_lab.demo.competition import build_demo_task

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (provided by Jupyter's config loader)

default_root = Path(__file__).resolve().parent.parent / "test-artifacts" / "jupyter-root"
root = Path(os.environ.get("MLESTAR_UI_ROOT") or default_root)
shutil.rmtree(root, ignore_errors=True)
root.mkdir(parents=True)
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(root)
configure_jupyter_server(c)
build_demo_task(root / "competitions" / "diabetes")

c.ServerApp.port = int(os.environ.get("MLESTAR_UI_PORT", "8893"))
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.allow_root = True
c.ServerApp.jpserver_extensions = {"mlestar_lab": True}
c.MlestarServerExtension.workspace = str(root / "mlestar-runs")
c.MlestarServerExtension.workers = 2

# Kaggle actions of the panel talk to a local fake of the Kaggle API, never to kaggle.com.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent / "tests")]
from fake_kaggle import start_fake_kaggle  # noqa: E402

start_fake_kaggle(root)
