"""Set-up: pyproject and environment.yml agree; the CLI answers --help on every command; CI calls the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return req.replace(" ", "").lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in ("python", "pip")]
    assert sorted(map(_spec, conda)) == sorted(map(_spec, pip_deps))


def test_readme_opens_with_the_two_commands_and_ci_calls_the_test_one():
    readme = (ROOT / "README.md").read_text()
    head = readme[:1500]
    assert "./run.sh pack" in head and "./run.sh test" in head
    ci = (ROOT / ".ci/run").read_text()
    assert "./run.sh test" in ci and "apt-get install" in ci and "chromium" in ci


def test_every_command_has_help():
    from typer.testing import CliRunner

    from observatory.cli import app

    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    commands = re.findall(r"│ (\w[\w-]*) {2,}", top.output)
    assert {"ingest", "validate", "store", "build"} <= set(commands)
    for cmd in commands:
        r = runner.invoke(app, [cmd, "--help"])
        assert r.exit_code == 0, (cmd, r.output)
        assert "Usage" in r.output


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "observatory"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "ingest" in out.stdout


def test_notebooks_are_committed_without_outputs():
    import json

    for nb in list((ROOT / "notebooks").glob("*.ipynb")) + list((ROOT / "dashboards").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        assert not any(c.get("outputs") for c in cells), f"{nb.name} has outputs"
        assert not any(c.get("execution_count") for c in cells), f"{nb.name} has execution counts"
