"""Jupyter server of the browser tests (`jlpm start` in ui-tests/, started by Playwright).

Galata's helper turns authentication off and adds its test extension; the server root is a fresh
temporary folder holding the bundled demo competition at `competitions/diabetes` (real data that
ships in scikit-learn, so no network), and the run workspace at `<root>/mlestar-runs`, where the
panel opens executed notebooks from. The base URL stays `/`: Galata's
own helpers call `/api/contents` without it (the server's routes are checked under pytest-jupyter's
`/a%40b/` instead, and the panel builds every URL from JupyterLab's `baseUrl`). Port and root can be set with MLESTAR_UI_PORT and MLESTAR_UI_ROOT.
"""

import atexit
import os
import shutil
from pathlib import Path
from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

from mlestar_lab.demo.competition import build_demo_task

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (provided by Jupyter's config loader)

if os.environ.get("MLESTAR_UI_ROOT"):
    root = Path(os.environ["MLESTAR_UI_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
else:
    root = Path(mkdtemp(prefix="mlestar-ui-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(root)
configure_jupyter_server(c)  # noqa: F821
build_demo_task(root / "competitions" / "diabetes")

c.ServerApp.port = int(os.environ.get("MLESTAR_UI_PORT", "8893"))
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.allow_root = True
c.ServerApp.jpserver_extensions = {"mlestar_lab": True}
c.MlestarServerExtension.workspace = str(root / "mlestar-runs")
c.MlestarServerExtension.workers = 2
