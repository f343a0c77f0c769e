"""Pack builds: failure isolation, index, manifest, archive, incremental rebuilds, lock and usage errors."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import observatory
from observatory.publish import engine
from observatory.publish.engine import (
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    Job,
    PackError,
    PackLocked,
    file_digest,
    package_fingerprint,
    read_manifest,
    up_to_date,
)
from observatory.publish.index import write_index

NOTEBOOKS = Path(__file__).resolve().parent / "fixtures" / "notebooks"
OK, RAISES = NOTEBOOKS / "ok.ipynb", NOTEBOOKS / "raises.ipynb"
META = {"config": "mini", "quarter": "2026Q3", "audience": "public", "title": "Mini pack", "synthetic": True}
# fixed: the default fingerprint digests observatory's source, which may change between two builds of a test
PACKAGE = {"version": observatory.__version__, "source_sha256": "fixed-for-tests"}


def build_pack(jobs, pack, **kw):
    """The engine with the pack's index page, as ``observatory build`` runs it."""
    return engine.build_pack(jobs, pack, index=write_index, **kw)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ok_job(
    pack: Path, name: str, *, value: int = 1, depends: str = "data-v1", notebook: Path = OK, group: str = "Locality profiles"
) -> Job:
    return Job(
        name,
        notebook,
        {"name": name, "value": value, "downloads_dir": pack / "downloads"},
        depends=depends,
        title=f"Profile {name}",
        group=group,
        outputs=(f"downloads/{name}.csv",),
    )


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Four jobs, one of which raises, built on two workers."""
    pack = tmp_path_factory.mktemp("out") / "2026Q3"
    jobs = [
        ok_job(pack, "county", group="County"),
        ok_job(pack, "north"),
        ok_job(pack, "south", value=2),
        Job("east", RAISES, {"name": "East <Ward>"}, depends="data-v1", title="Profile East", group="Locality profiles"),
    ]
    summary = build_pack(jobs, pack, jobs_n=2, meta=META, progress=False, package=PACKAGE)
    return pack, jobs, summary


def test_failure_is_isolated(mixed):
    _pack, _jobs, summary = mixed
    assert not summary.ok
    assert summary.exit_code == EXIT_FAILED == 1
    assert {r.name: r.status for r in summary.results} == {
        "county": "built",
        "north": "built",
        "south": "built",
        "east": "failed",
    }
    east = summary.results[3]
    assert east.error.startswith("ValueError: no data for East <Ward>")
    assert east.notebook_path is not None and east.notebook_path.exists() and east.html_path is None


def test_index_links_outputs_and_the_failed_notebook(mixed):
    pack, _jobs, _summary = mixed
    page = (pack / "index.html").read_text()
    for name in ("county", "north", "south"):
        assert f'href="html/{name}.html"' in page
        assert f'href="downloads/{name}.csv"' in page
    assert 'href="notebooks/east.ipynb"' in page
    assert "ValueError: no data for East &lt;Ward&gt;" in page
    assert "<Ward>" not in page
    assert 'href="html/east.html"' not in page
    assert page.index("<h2>County</h2>") < page.index("<h2>Locality profiles</h2>")
    assert "Synthetic data" in page
    assert "papermill-error-cell" in (pack / "notebooks" / "east.ipynb").read_text()


def test_html_has_no_code(mixed):
    pack, _jobs, _summary = mixed
    for name in ("county", "north", "south"):
        page = (pack / "html" / f"{name}.html").read_text()
        assert f"RESULT {name} =" in page
        assert "distinctive_code_marker_q7" not in page and "hl-ipython3" not in page


def test_manifest_records_each_output(mixed):
    pack, jobs, _summary = mixed
    m = json.loads((pack / "manifest.json").read_text())
    assert m["build"]["quarter"] == "2026Q3" and m["build"]["config"] == "mini" and m["build"]["audience"] == "public"
    assert m["build"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert m["build"]["pandas"] and m["build"]["started"] <= m["build"]["finished"]
    by_name = {o["name"]: o for o in m["outputs"]}
    assert list(by_name) == [j.name for j in jobs]
    north = by_name["north"]
    assert north["depends"] == "data-v1"
    # recorded relative to the pack (the notebook ran with the absolute path)
    assert north["parameters"] == {"name": "north", "value": 1, "downloads_dir": "./downloads"}
    assert north["package_version"] == observatory.__version__
    assert north["notebook_sha256"] == sha(OK)
    assert north["status"] == "ok" and north["error"] is None and north["seconds"] > 0
    own = {rel: sha(pack / rel) for rel in ("notebooks/north.ipynb", "html/north.html", "downloads/north.csv")}
    shared = {rel: sha(pack / rel) for rel in north["files"] if rel.startswith("assets/")}  # styles every page links
    assert north["files"] == own | shared and shared
    assert all(f'href="../{rel}"' in (pack / "html" / "north.html").read_text() for rel in shared)
    assert (pack / "downloads" / "south.csv").read_text() == "name,value\nsouth,42\n"
    east = by_name["east"]
    assert east["status"] == "failed" and east["error"]["ename"] == "ValueError" and east["error"]["cell"] is not None


def test_manifest_lists_every_file_and_the_zip_holds_them(mixed):
    pack, _jobs, _summary = mixed
    m = json.loads((pack / "manifest.json").read_text())
    on_disk = {
        p.relative_to(pack).as_posix()
        for p in pack.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name not in ("manifest.json", "build.log")
    }
    assert set(m["files"]) == on_disk
    assert all(m["files"][rel]["sha256"] == sha(pack / rel) for rel in on_disk)
    with zipfile.ZipFile(pack.parent / "2026Q3.zip") as z:
        names = set(z.namelist())
        assert names == {f"2026Q3/{rel}" for rel in on_disk} | {"2026Q3/manifest.json"}
        assert hashlib.sha256(z.read("2026Q3/html/north.html")).hexdigest() == m["files"]["html/north.html"]["sha256"]
        assert all(hashlib.sha256(z.read(f"2026Q3/{rel}")).hexdigest() == f["sha256"] for rel, f in m["files"].items())


def test_the_zip_is_the_archive_zipfile_writes_of_the_pack(mixed, tmp_path):
    """Every member deflated on its own thread: the same bytes as zipfile writes of the same files."""
    pack, _jobs, _summary = mixed
    m = json.loads((pack / "manifest.json").read_text())
    with zipfile.ZipFile(tmp_path / "stock.zip", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for rel in ["manifest.json", *m["files"]]:
            z.write(pack / rel, f"2026Q3/{rel}")
    assert (pack.parent / "2026Q3.zip").read_bytes() == (tmp_path / "stock.zip").read_bytes()


def test_build_log_has_a_line_per_job(mixed):
    pack, _jobs, _summary = mixed
    log = (pack / "build.log").read_text()
    for name in ("county", "north", "south"):
        assert f"built {name} in" in log
    assert "FAILED east" in log and "build finished" in log


def _rebuild_in_subprocess(pack: Path, notebook: Path) -> str:
    """Rebuild the pack of ``test_incremental_rebuilds`` in a fresh Python; report statuses and heavy imports."""
    script = pack.parent / "rebuild.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_packs import META, PACKAGE, ok_job
        from test_packs import build_pack
        pack = Path({str(pack)!r})
        jobs = [ok_job(pack, "a"), ok_job(pack, "b"), ok_job(pack, "c", notebook=Path({str(notebook)!r}))]
        s = build_pack(jobs, pack, jobs_n=1, meta=META, progress=False, package=PACKAGE)
        heavy = sorted(m for m in ("papermill", "nbconvert", "nbclient", "jupyter_client", "zmq") if m in sys.modules)
        print([r.status for r in s.results], s.kernels_started, s.written, heavy)
    """)
    )
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout.strip()


def test_incremental_rebuilds(tmp_path):
    pack = tmp_path / "2026Q3"
    nb = tmp_path / "copy.ipynb"
    shutil.copy(OK, nb)
    jobs = [ok_job(pack, "a"), ok_job(pack, "b"), ok_job(pack, "c", notebook=nb)]
    first = build_pack(jobs, pack, jobs_n=1, meta=META, progress=False, package=PACKAGE)
    assert [r.status for r in first.results] == ["built"] * 3 and first.exit_code == EXIT_OK
    assert first.kernels_started == 1
    manifest_bytes = (pack / "manifest.json").read_bytes()

    # nothing changed: no kernel, no papermill/nbconvert import, manifest and archive untouched
    assert _rebuild_in_subprocess(pack, nb) == "['skipped', 'skipped', 'skipped'] 0 False []"
    assert (pack / "manifest.json").read_bytes() == manifest_bytes

    jobs[0] = ok_job(pack, "a", value=5)
    jobs[1] = ok_job(pack, "b", depends="data-v2")
    changed = build_pack(jobs, pack, jobs_n=1, meta=META, progress=False, package=PACKAGE)
    assert [r.status for r in changed.results] == ["built", "built", "skipped"]
    assert "2 to build (parameters changed: 1, data changed: 1)" in (pack / "build.log").read_text()
    assert (pack / "downloads" / "a.csv").read_text() == "name,value\na,105\n"
    assert read_manifest(pack)["outputs"][1]["depends"] == "data-v2"

    nb.write_text(nb.read_text().replace("End of the fixture.", "End of the edited fixture."))
    (pack / "downloads" / "b.csv").write_text("tampered\n")
    edited = build_pack(jobs, pack, jobs_n=1, meta=META, progress=False, package=PACKAGE)
    assert [r.status for r in edited.results] == ["skipped", "built", "built"]
    assert "(files missing or altered: 1, notebook changed: 1)" in (pack / "build.log").read_text()
    assert "edited fixture" in (pack / "html" / "c.html").read_text()
    assert (pack / "downloads" / "b.csv").read_text() == "name,value\nb,21\n"

    dropped = build_pack(jobs[:2], pack, jobs_n=1, meta=META, progress=False, package=PACKAGE)
    assert [r.status for r in dropped.results] == ["skipped", "skipped"] and dropped.kernels_started == 0
    assert not (pack / "html" / "c.html").exists() and not (pack / "downloads" / "c.csv").exists()
    assert "c.html" not in (pack / "index.html").read_text()
    assert "html/c.html" not in read_manifest(pack)["files"]


def test_up_to_date_needs_same_inputs_code_and_files(tmp_path):
    pack = tmp_path / "2026Q3"
    jobs = [ok_job(pack, "a"), ok_job(pack, "b")]
    assert up_to_date(pack, "inputs-1", package=PACKAGE) is None  # never built
    build_pack(jobs, pack, jobs_n=1, meta=META | {"inputs": "inputs-1"}, progress=False, package=PACKAGE)
    current = up_to_date(pack, "inputs-1", package=PACKAGE)
    assert current is not None and current.exit_code == EXIT_OK and not current.written
    assert [(r.name, r.status) for r in current.results] == [("a", "skipped"), ("b", "skipped")]
    assert current.results[0].html_path == pack / "html" / "a.html"
    assert up_to_date(pack, "inputs-2", package=PACKAGE) is None
    assert up_to_date(pack, "inputs-1", package=PACKAGE | {"source_sha256": "other"}) is None
    (pack / "index.html").write_text("edited")
    assert up_to_date(pack, "inputs-1", package=PACKAGE) is None


def test_notebook_without_parameters_cell_fails_without_a_kernel(tmp_path):
    pack = tmp_path / "q"
    s = build_pack(
        [Job("np", NOTEBOOKS / "no_parameters.ipynb", {"name": "x"}, title="No parameters")],
        pack,
        progress=False,
        package=PACKAGE,
    )
    assert s.exit_code == EXIT_FAILED and s.kernels_started == 0
    assert s.results[0].error.startswith("NoParametersCell")
    assert "NoParametersCell" in (pack / "index.html").read_text()


def test_locked_pack_is_refused(tmp_path):
    pack = tmp_path / "2026Q3"
    pack.mkdir()
    with open(pack / ".build.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 1 since then\n")
        held.flush()
        with pytest.raises(PackLocked) as err:
            build_pack([ok_job(pack, "a")], pack, progress=False)
    assert err.value.exit_code == EXIT_LOCKED == 3
    assert "another build" in str(err.value) and "pid 1" in str(err.value)
    assert not (pack / "manifest.json").exists() and not (pack / "notebooks").exists()


@pytest.mark.parametrize(
    "jobs, message",
    [
        ([Job("a", OK), Job("a", OK)], "two jobs are named 'a'"),
        ([Job("../a", OK)], "must be letters"),
        ([Job("a", NOTEBOOKS / "missing.ipynb")], "not found"),
        ([Job("a", OK, {"when": object()})], "not JSON-like"),
        ([Job("a", OK, outputs=("../elsewhere/*",))], "relative to the pack folder"),
    ],
)
def test_usage_errors(tmp_path, jobs, message):
    with pytest.raises(PackError, match=message) as err:
        build_pack(jobs, tmp_path / "q", progress=False)
    assert err.value.exit_code == EXIT_USAGE == 2
    assert not (tmp_path / "q").exists()


def test_index_escapes_text(tmp_path):
    manifest = {
        "build": {"title": "<script>alert(1)</script>", "quarter": "Q&A"},
        "outputs": [
            {
                "name": "x",
                "title": "A & B <i>",
                "group": "<g>",
                "status": "failed",
                "error": {"ename": "E", "evalue": "<b>bad</b>", "cell": 2},
                "files": {},
            }
        ],
        "files": {},
    }
    page = write_index(tmp_path, manifest).read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "A &amp; B &lt;i&gt;" in page and "<h2>&lt;g&gt;</h2>" in page
    assert "E: &lt;b&gt;bad&lt;/b&gt; (cell [2])" in page
    assert "Synthetic" not in page


def test_package_fingerprint_names_version_and_source():
    fp = package_fingerprint()
    assert fp["version"] == observatory.__version__  # from the distribution's metadata, which the package reads too
    assert len(fp["source_sha256"]) == 64 and int(fp["source_sha256"], 16) >= 0


def test_file_digest_follows_content(tmp_path):
    f = tmp_path / "values.parquet"
    f.write_bytes(b"one")
    d1 = file_digest(f, tmp_path / "absent.csv")
    assert d1 == file_digest(f, tmp_path / "absent.csv")
    f.write_bytes(b"two")
    assert file_digest(f, tmp_path / "absent.csv") != d1
    (tmp_path / "absent.csv").write_text("now here")
    assert file_digest(f, tmp_path / "absent.csv") != d1
