"""nbval on the pack notebooks: each runs top to bottom on the demo county, parameters injected as papermill does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from observatory.config import load_config
from observatory.publish.plan import sync_store
from observatory.store import Store

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("notebooks")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    store = Store(tmp_path_factory.mktemp("nbval") / "store")
    sync_store(load_config("demo"), store)
    return store.path


def _nbval(notebook: str, parameters: dict, folder: Path) -> subprocess.CompletedProcess:
    nb = parameterize_notebook(load_notebook_node(str(ROOT / "notebooks" / notebook)), parameters)
    copy = folder / notebook
    nbformat.write(nb, copy)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            str(copy),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-o",
            "addopts=",
            "--rootdir",
            str(folder),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "notebook, parameters",
    [
        ("locality_profile.ipynb", {"locality": "ZL05", "quarter": "2025Q3", "audience": "public"}),
        ("county_overview.ipynb", {"quarter": "2025Q3", "audience": "partners"}),
        ("exception_report.ipynb", {"quarter": "2025Q3", "level": "board", "audience": "partners"}),
    ],
)
def test_pack_notebook_passes_nbval(notebook, parameters, demo_store, tmp_path):
    params = {"config": str(ROOT / "data" / "demo"), "store": str(demo_store), "pack_dir": str(tmp_path / "pack"), **parameters}
    r = _nbval(notebook, params, tmp_path)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "failed" not in r.stdout
    assert any((tmp_path / "pack" / "downloads").iterdir()), "the notebook writes its downloads"


@pytest.mark.parametrize("notebook", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_papermill_reads_every_parameter(notebook, caplog):
    """Papermill parses each line of the parameters cell: a line it cannot parse leaves its parameter
    "unknown", and every build then logs a warning for it (as the exception reports once did)."""
    import papermill as pm

    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    cell = next((c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        pytest.skip(f"{notebook} takes no parameters")
    assigned = [ln.split("=", 1)[0].strip() for ln in cell.source.splitlines() if ln and not ln.startswith(("#", " "))]
    with caplog.at_level("WARNING", logger="papermill"):
        found = list(pm.inspect_notebook(str(ROOT / "notebooks" / notebook)))
    assert not [r.getMessage() for r in caplog.records if "Unable to parse" in r.getMessage()]
    assert found == assigned
