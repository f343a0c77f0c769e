"""One demo pack for the publishing and accessibility tests: built once per test session in a shared folder.

Built by the ``observatory build`` command as an analyst would; a second caller (another module or an xdist
worker) finds the pack up to date and waits for the build lock instead of building again.
"""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

QUARTER = "2025Q3"


def demo_pack(base: Path) -> Path:
    """The demo county's public pack for ``QUARTER`` under ``base`` (built unless already up to date)."""
    from observatory.cli import app

    out, store = base / "packs", base / "store"
    for _ in range(60):
        r = CliRunner().invoke(
            app,
            [
                "build",
                "--quiet",
                "--config",
                "demo",
                "--quarter",
                QUARTER,
                "--out",
                str(out),
                "--store",
                str(store),
                "--jobs",
                "2",
            ],
        )
        if r.exit_code != 3:  # 3: another worker holds the pack's build lock
            break
        time.sleep(5)
    assert r.exit_code == 0, r.output
    return out / QUARTER
