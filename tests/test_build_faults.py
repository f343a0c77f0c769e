"""Build faults (issue 16): a torn sources record, a killed build, machine paths, file modes, careless commands."""

from __future__ import annotations

import html
import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from conftest import make_mini_config
from typer.testing import CliRunner

from observatory.cli import app
from observatory.config import load_config
from observatory.publish import runner
from observatory.publish.plan import SOURCES_STATE, sync_store
from observatory.store import Store

pytestmark = pytest.mark.xdist_group("packs")
ROOT = Path(__file__).resolve().parents[1]
SLEEPS = Path(__file__).resolve().parent / "fixtures" / "notebooks" / "sleeps.ipynb"


def _build(args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["build", "--quiet", *args])
    return r.exit_code, " ".join(r.output.split())


# --------------------------------------------------------------------------- (6) the sources record


@pytest.fixture
def synced(tmp_path):
    cfg = load_config(make_mini_config(tmp_path / "mini"))
    store = Store(tmp_path / "store")
    assert sync_store(cfg, store)
    return cfg, store


@pytest.mark.parametrize("torn", ["", "{", "\0\0\0", "[1, 2]"])
def test_an_unreadable_sources_record_means_reingest(synced, torn):
    cfg, store = synced
    (store.path / SOURCES_STATE).write_text(torn)
    assert sync_store(cfg, store) is True  # re-ingested, not a crash
    assert json.loads((store.path / SOURCES_STATE).read_text())["digest"]
    assert sync_store(cfg, store) is False  # and the repaired record is trusted again


def test_the_sources_record_is_written_atomically(synced, monkeypatch):
    cfg, store = synced
    record = store.path / SOURCES_STATE
    before = record.read_text()
    (cfg.dir / "indicators.csv").write_text((cfg.dir / "indicators.csv").read_text() + "\n")  # the sources changed

    def killed(*_a, **_k):
        raise KeyboardInterrupt  # stands in for a kill while the record is written

    monkeypatch.setattr(Path, "write_bytes", killed)
    with pytest.raises(KeyboardInterrupt):
        sync_store(cfg, store)
    monkeypatch.undo()
    assert record.read_text() == before, "a torn write left a partial record"
    assert not list(store.path.glob(f".{SOURCES_STATE}.*")), "the temporary file is removed"


def test_stale_store_temporaries_are_removed_by_the_next_run(synced):
    cfg, store = synced
    old, fresh = store.path / ".values.parquet.k1ll3d.tmp", store.path / ".values.parquet.l1v3.tmp"
    for f in (old, fresh):
        f.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    sync_store(cfg, store)
    assert not old.exists() and fresh.exists()  # a file being written right now is left alone


# --------------------------------------------------------------------------- (8) a SIGKILLed build


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline[:120]}")
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal and /proc are Linux's")
def test_a_killed_build_leaves_no_worker_or_kernel_and_the_next_run_cleans_up(tmp_path, monkeypatch):
    tmp = Path(tempfile.mkdtemp(prefix="obs-kill-"))  # short: kernel sockets live here
    script = tmp_path / "build.py"
    script.write_text(
        textwrap.dedent(f"""
        from pathlib import Path
        from observatory.publish.engine import Job, build_pack
        jobs = [Job(f"s{{i}}", Path({str(SLEEPS)!r}), {{"seconds": 60}}) for i in range(2)]
        build_pack(jobs, Path({str(tmp_path / "pack")!r}), jobs_n=2, progress=False, package={{"version": "t"}})
    """)
    )
    build = subprocess.Popen(
        [sys.executable, str(script)],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("ipykernel" in p for p in _processes_mentioning(str(tmp))):
            time.sleep(0.2)
        assert any("ipykernel" in p for p in _processes_mentioning(str(tmp))), "no kernel started"
        time.sleep(1)  # the kernels are running their notebooks
        build.kill()
        build.wait()
        deadline = time.monotonic() + 3  # a bounded wait: the workers and kernels die with their parent
        while time.monotonic() < deadline and _processes_mentioning(str(tmp)):
            time.sleep(0.1)
        assert _processes_mentioning(str(tmp)) == [], "workers or kernels outlived the killed build"
        leftovers = list(tmp.glob(f"{runner.WORKERS_PREFIX}*"))
        assert leftovers, "the killed build left its runtime folder (nothing cleaned it up)"
        monkeypatch.setattr(tempfile, "tempdir", str(tmp))
        assert list(runner.run_tasks([], workers=1)) == [{"kernels_started": 0}]
        assert not any(p.exists() for p in leftovers), "the next run removes a dead build's runtime folder"
    finally:
        if build.poll() is None:
            build.kill()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def test_a_live_builds_runtime_folder_is_kept(tmp_path):
    mine = tmp_path / f"{runner.WORKERS_PREFIX}{os.getpid()}-abc"
    dead = tmp_path / f"{runner.WORKERS_PREFIX}999999999-abc"
    mine.mkdir()
    dead.mkdir()
    assert runner.remove_stale_runtime_dirs(tmp_path) == [dead]
    assert mine.exists() and not dead.exists()


# --------------------------------------------------------------------------- (11, 12) paths and modes


@pytest.fixture(scope="module")
def failing_pack(tmp_path_factory):
    """The mini pack with one failing locality, built under umask 022."""
    d = tmp_path_factory.mktemp("faults")
    cfg = make_mini_config(d / "mini", empty_locality=True)
    previous = os.umask(0o022)
    try:
        code, out = _build(
            ["--config", str(cfg), "--quarter", "2025Q3", "--out", str(d / "packs"), "--store", str(d / "store"), "--jobs", "2"]
        )
    finally:
        os.umask(previous)
    assert code == 1, out  # ML04 has no data
    return d, cfg


def test_nothing_in_the_pack_names_a_machine_folder(failing_pack):
    d, cfg = failing_pack
    pack = d / "packs" / "2025Q3"
    machine = {str(d), str(d.resolve()), str(cfg), str(ROOT), sys.prefix, str(Path.home())}
    records = [
        pack / "manifest.json",
        pack / "build.log",
        pack / "index.html",
        *pack.glob("notebooks/*.ipynb"),
        *pack.glob("html/*.html"),
    ]
    assert (pack / "notebooks" / "profile-ML04.ipynb") in records
    leaks = {f"{p.relative_to(pack)}: {m}" for p in records for m in machine if m and len(m) > 1 and m in p.read_text()}
    assert leaks == set(), f"machine paths recorded in the pack: {sorted(leaks)}"
    manifest = json.loads((pack / "manifest.json").read_text())
    params = next(o for o in manifest["outputs"] if o["name"] == "profile-ML01")["parameters"]
    assert params["pack_dir"] == "." and params["config"] == "<config>" and params["store"] == "<store>"
    assert "no profile data for locality 'ML04'" in html.unescape((pack / "index.html").read_text())


def test_files_follow_the_umask(failing_pack):
    d, _cfg = failing_pack
    pack = d / "packs" / "2025Q3"
    for f in (
        pack / "index.html",
        pack / "manifest.json",
        d / "packs" / "2025Q3.zip",
        pack / "html" / "profile-ML01.html",
        pack / "downloads" / "profile-ML01.csv",
        d / "store" / SOURCES_STATE,
    ):
        assert stat.S_IMODE(f.stat().st_mode) == 0o644, f"{f.name} is {oct(stat.S_IMODE(f.stat().st_mode))}"


def test_store_files_follow_the_umask(failing_pack):
    d, _cfg = failing_pack
    assert stat.S_IMODE((d / "store" / "values.parquet").stat().st_mode) == 0o644


# --------------------------------------------------------------------------- (14, 15) careless commands


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return make_mini_config(tmp_path_factory.mktemp("careless") / "mini")


@pytest.mark.parametrize(
    "quarter",
    [
        "2026Q5",
        "2026Q0",
        "1850Q1",
        "2026q3",
        "banana",
        "../escape",
        "2026Q3/../../escape",
        "../../2026Q3",
        "2026Q3 ",
        "20261Q1",
        "",
    ],
)
def test_a_malformed_quarter_is_refused_and_nothing_is_written(tmp_path, mini, quarter):
    out = tmp_path / "area" / "packs"
    code, text = _build(["--config", str(mini), "--quarter", quarter, "--out", str(out), "--store", str(tmp_path / "store")])
    assert code == 2, text
    assert "quarter" in text and "Traceback" not in text and "invalid literal" not in text
    assert list(tmp_path.iterdir()) == [], "nothing is written, inside or outside --out"


def test_jobs_zero_is_refused(tmp_path, mini):
    code, text = _build(
        [
            "--config",
            str(mini),
            "--quarter",
            "2026Q3",
            "--out",
            str(tmp_path / "p"),
            "--jobs",
            "0",
            "--store",
            str(tmp_path / "s"),
        ]
    )
    assert code == 2 and "--jobs must be at least 1" in text
    assert list(tmp_path.iterdir()) == []


def test_out_naming_a_file_is_refused(tmp_path, mini):
    target = tmp_path / "packs.txt"
    target.write_text("not a folder")
    code, text = _build(["--config", str(mini), "--quarter", "2026Q3", "--out", str(target), "--store", str(tmp_path / "s")])
    assert code == 2 and "is a file" in text and "NotADirectoryError" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packs.txt"] and target.read_text() == "not a folder"
