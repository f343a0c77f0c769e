"""The package runs from a plain wheel install (issue 11, item 3): no repository checkout needed.

A wheel of the project goes into a fresh virtual environment in a temporary folder; the project's
dependencies are borrowed from this environment through a ``.pth`` line (a folder added that way
does not run its own ``.pth`` files, so the editable install of the checkout stays invisible). There,
outside the repository, ``observatory demo`` writes a data folder and ``observatory build`` must
produce a complete pack, writing nothing into the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("packs")]
ROOT = Path(__file__).resolve().parents[1]


def _run(args: list, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def _repository_state() -> str:
    """Tracked and untracked files of the checkout, and its ignored ones outside the folders other tests may write
    while this one runs (``build/``, caches, test artifacts)."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    shared = ("!! build/", "!! .pytest_cache/", "!! test-artifacts/", "!! .venv/", "!! .ruff_cache/")
    return "\n".join(line for line in out.splitlines() if not line.startswith(shared) and "__pycache__" not in line)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with the project's wheel and nothing of the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert ROOT not in tmp.parents
    source, wheels = tmp / "source", tmp / "wheels"
    # built from a copy of the working tree: setuptools writes build/ and *.egg-info beside the sources
    files = _run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).stdout.splitlines()
    for rel in files:
        if (ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    # build isolation: this environment need not have `wheel` or a setuptools with bdist_wheel
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source], cwd=tmp)
    wheel = next(wheels.glob("observatory-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "_observatory_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "OBSERVATORY_", "VIRTUAL_ENV"))}
    env["PYTHONNOUSERSITE"] = "1"
    # the borrowed dependencies' data files (nbconvert's templates, kernelspecs) live under this prefix's share/
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    probe = [python, "-c", "import observatory; print(observatory.__file__)"]
    assert subprocess.run(probe, capture_output=True, text=True, env=env, cwd=tmp).returncode != 0, (
        "the checkout's editable install leaks into the fresh environment"
    )
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel], env=env, cwd=tmp)
    where = Path(_run(probe, env=env, cwd=tmp).stdout.strip())
    assert venv in where.parents, f"observatory imported from {where}, not from the fresh environment"
    return tmp, venv, env


def test_demo_and_build_from_a_wheel_make_a_complete_pack(installed):
    tmp, venv, env = installed
    before = _repository_state()
    work = tmp / "work"
    work.mkdir()
    env = env | {"OBSERVATORY_DATA_DIR": str(tmp / "data"), "OBSERVATORY_BUILD_DIR": str(tmp / "build")}
    observatory = venv / "bin" / "observatory"
    _run([observatory, "demo", tmp / "data" / "demo"], env=env, cwd=work)
    missing = [rel for rel in ("partners.yaml", "demo/catalogue.yaml") if not (tmp / "data" / rel).exists()]
    if missing:
        pytest.fail(
            f"`observatory demo DATA/demo` did not write {', '.join(missing)} (under DATA), which the build needs "
            "(the partner register and the data catalogue): observatory/demo.py should write them"
        )
    r = _run([observatory, "build", "--quiet", "--quarter", "2026Q3", "--jobs", "2"], env=env, cwd=work, timeout=1800)
    pack = tmp / "build" / "packs" / "2026Q3"
    for name in ("index.html", "manifest.json", "html/county-overview.html", "html/data-catalogue.html"):
        assert (pack / name).is_file(), f"{name} missing\n{r.stdout[-2000:]}"
    assert (tmp / "build" / "packs" / "2026Q3.zip").is_file()
    localities = pd.read_csv(tmp / "data" / "demo" / "localities.csv")["locality_code"].unique()
    assert len(localities) > 1
    for code in localities:
        assert (pack / "html" / f"profile-{code}.html").is_file(), code
        for ext in ("csv", "xlsx"):
            assert (pack / "downloads" / f"profile-{code}.{ext}").is_file(), (code, ext)
    manifest = json.loads((pack / "manifest.json").read_text())
    assert all(o["status"] == "ok" for o in manifest["outputs"])
    assert manifest["outputs"][0]["notebook"].startswith("<observatory>/resources/notebooks/")  # the wheel's own notebooks
    assert _repository_state() == before, "the build wrote into the repository"
