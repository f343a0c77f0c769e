"""Pack assets: what every page repeats (Leaflet, nbconvert's styles) is written once under ``assets/`` and linked
relatively; ``self_contained`` keeps every page whole; build.log records each notebook's time and phases."""

from __future__ import annotations

import html
import json
import zipfile
from pathlib import Path

import nbformat
import pytest
from markupsafe import escape

import observatory
from observatory.publish import engine
from observatory.publish.engine import Job, read_manifest
from observatory.publish.export import share_assets
from observatory.publish.index import write_index

PACKAGE = {"version": observatory.__version__, "source_sha256": "fixed-for-tests"}
SCRIPT = "var L = {version: '1 < 2 & \"quoted\"'};"
STYLE = ".leaflet-container{background:#fff}"
MARKED = f'<style data-pack-asset="leaflet.css">{STYLE}</style><script data-pack-asset="leaflet.js">{SCRIPT}</script>'


def test_marked_blocks_move_to_assets_raw_and_inside_srcdoc(tmp_path):
    pack = tmp_path / "pack"
    page = f'<html><head>{MARKED}</head><body><iframe srcdoc="{escape(MARKED + "<p>map</p>")}"></iframe></body></html>'
    shared, used = share_assets(page, pack, pack / "html")
    assert SCRIPT not in shared and str(escape(SCRIPT)) not in shared
    assert '<script src="../assets/leaflet.js"></script>' in shared
    assert html.escape('<link rel="stylesheet" href="../assets/leaflet.css">') in shared
    assert (pack / "assets" / "leaflet.js").read_text() == SCRIPT
    assert (pack / "assets" / "leaflet.css").read_text() == STYLE
    assert set(used) == {"assets/leaflet.js", "assets/leaflet.css"}


def test_large_page_styles_are_shared_small_ones_stay(tmp_path):
    big, small = "a{color:red}" * 400, "b{color:blue}"
    page = f'<style type="text/css">{big}</style><style type="text/css">{small}</style>'
    shared, used = share_assets(page, tmp_path, tmp_path / "html")
    (name,) = used
    assert (tmp_path / name).read_text() == big and small in shared and f'href="../{name}"' in shared


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("name = 'x'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            f"from IPython.display import HTML, display\ndisplay(HTML({MARKED!r} + '<p>' + name + '</p>'))"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("assets")
    notebook = _notebook(folder / "map.ipynb")
    pack = folder / "out" / "2026Q3"
    jobs = [Job(n, notebook, {"name": n}, depends="d1", title=n) for n in ("north", "south")]
    summary = engine.build_pack(jobs, pack, jobs_n=1, progress=False, package=PACKAGE, index=write_index)
    return pack, jobs, summary


def test_assets_are_written_once_and_linked_relatively(built):
    pack, _jobs, summary = built
    assert summary.exit_code == 0
    assert (pack / "assets" / "leaflet.js").read_text() == SCRIPT
    for name in ("north", "south"):
        page = (pack / "html" / f"{name}.html").read_text()
        assert SCRIPT not in page and 'src="../assets/leaflet.js"' in page
        assert 'href="../assets/page-' in page  # nbconvert's theme, shared too
    files = read_manifest(pack)["files"]
    assert "assets/leaflet.js" in files and any(f.startswith("assets/page-") for f in files)
    with zipfile.ZipFile(pack.parent / "2026Q3.zip") as z:
        assert "2026Q3/assets/leaflet.js" in z.namelist()


def test_build_log_records_each_notebook_time_and_phases(built):
    log = (built[0] / "build.log").read_text()
    for name in ("north", "south"):
        line = next(ln for ln in log.splitlines() if f"built {name} in" in ln)
        assert "execution" in line and "html export" in line
    assert "time spent: " in log and "zip" in log


def test_self_contained_pages_carry_their_assets_and_switching_rebuilds(built):
    pack, jobs, _ = built
    summary = engine.build_pack(jobs, pack, jobs_n=1, progress=False, package=PACKAGE, index=write_index, self_contained=True)
    assert [r.status for r in summary.results] == ["built", "built"]
    page = (pack / "html" / "north.html").read_text()
    assert SCRIPT in page and "../assets/" not in page
    assert not any(f.startswith("assets/") for f in read_manifest(pack)["files"])
    assert "asset sharing changed" in (pack / "build.log").read_text()
    assert json.loads((pack / "manifest.json").read_text())["outputs"][0]["assets"] == "inline"


def test_map_frames_may_load_the_shared_files_from_disk(tmp_path):
    frame = f'<iframe srcdoc="{escape(MARKED)}" sandbox="allow-scripts"></iframe>'
    shared, _ = share_assets(frame, tmp_path, tmp_path / "html")
    assert 'sandbox="allow-scripts allow-same-origin"' in shared
    assert share_assets('<iframe srcdoc="&lt;p&gt;" sandbox="allow-scripts"></iframe>', tmp_path, tmp_path)[0].endswith(
        'sandbox="allow-scripts"></iframe>'
    )
