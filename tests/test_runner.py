"""Warm-kernel workers: namespace reset, working folder, failures, dead kernels and cell timeouts."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from observatory._core.resources import resource
from observatory.publish.export import CDN_SCRIPT, html_exporter
from observatory.publish.runner import run_tasks

NOTEBOOKS = Path(__file__).resolve().parent / "fixtures" / "notebooks"


def _task(pack: Path, task: str, notebook: str, **parameters) -> dict:
    return {
        "name": task,
        "notebook": str(NOTEBOOKS / f"{notebook}.ipynb"),
        "cwd": str(NOTEBOOKS),
        "parameters": parameters,
        "title": task,
        "pack_dir": str(pack),
        "outputs": [],
        "out_notebook": str(pack / "notebooks" / f"{task}.ipynb"),
        "out_html": str(pack / "html" / f"{task}.html"),
    }


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    """Six notebooks, in order, on one worker and so on one kernel (replaced when it dies or hangs)."""
    pack = tmp_path_factory.mktemp("runner")
    tasks = [
        _task(pack, "first", "ok", name="first"),
        _task(pack, "second", "ok", name="second"),
        _task(pack, "raises", "raises", name="Kenilworth"),
        _task(pack, "hangs", "sleeps", seconds=120),
        _task(pack, "dies", "dies"),
        _task(pack, "after", "ok", name="after"),
    ]
    out = list(run_tasks(tasks, workers=1, timeout=4, start_timeout=60))
    return pack, {r["name"]: r for r in out if "name" in r}, out[-1]


def _stream_text(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    return "".join(
        "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream"
    )


def test_every_task_reports_once(one_worker):
    _pack, results, last = one_worker
    assert set(results) == {"first", "second", "raises", "hangs", "dies", "after"}
    assert "kernels_started" in last


def test_namespace_is_reset_between_notebooks(one_worker):
    # ok.ipynb asserts that LEFTOVER_FROM_PREVIOUS, which it defines, is not already defined
    pack, results, _ = one_worker
    assert results["first"]["status"] == "built"
    assert results["second"]["status"] == "built", results["second"]["error"]
    assert "RESULT second = 21" in _stream_text(pack / "notebooks" / "second.ipynb")


def test_kernel_runs_in_the_notebook_folder(one_worker):
    pack, _results, _ = one_worker
    assert f"CWD {NOTEBOOKS}" in _stream_text(pack / "notebooks" / "first.ipynb")


def test_parameters_are_recorded_by_papermill(one_worker):
    pack, _results, _ = one_worker
    meta = json.loads((pack / "notebooks" / "second.ipynb").read_text())["metadata"]["papermill"]
    assert meta["parameters"] == {"name": "second"}
    assert meta["input_path"] == str(NOTEBOOKS / "ok.ipynb")


def test_notebook_error_is_reported_with_its_cell(one_worker):
    pack, results, _ = one_worker
    r = results["raises"]
    assert r["status"] == "failed"
    assert r["error"]["ename"] == "ValueError"
    assert r["error"]["evalue"] == "no data for Kenilworth"
    assert r["error"]["source"].startswith("raise ValueError")
    failed_nb = pack / "notebooks" / "raises.ipynb"
    assert "notebooks/raises.ipynb" in r["files"]
    assert "papermill-error-cell" in failed_nb.read_text()
    assert not (pack / "html" / "raises.html").exists()


def test_cell_timeout_fails_only_that_notebook(one_worker):
    _pack, results, _ = one_worker
    assert results["hangs"]["status"] == "failed"
    assert results["hangs"]["error"]["ename"] == "CellTimeoutError"
    assert results["hangs"]["kernel_restarted"]


def test_dead_kernel_is_replaced(one_worker):
    _pack, results, last = one_worker
    assert results["dies"]["status"] == "failed"
    assert results["dies"]["error"]["ename"] == "DeadKernelError"
    assert results["after"]["status"] == "built", results["after"]["error"]
    # one kernel at start, one after the timeout, one after the death
    assert last["kernels_started"] == 3


def test_html_has_outputs_but_no_code(one_worker):
    pack, results, _ = one_worker
    page = (pack / "html" / "first.html").read_text()
    assert "RESULT first = 21" in page
    assert "distinctive_code_marker_q7" not in page
    assert "LEFTOVER_FROM_PREVIOUS" not in page
    assert "hl-ipython3" not in page  # highlighted code blocks
    assert "Fixture profile" in page  # markdown narrative stays
    assert set(results["first"]["files"]) == {"notebooks/first.ipynb", "html/first.html"}


def test_no_tasks_start_no_worker():
    assert list(run_tasks([], workers=2)) == [{"kernels_started": 0}]


def test_html_exporter_matches_nbconvert():
    """The exporter skips nbconvert's BeautifulSoup pass but must produce the same page."""
    import base64

    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
    cell = nbformat.v4.new_code_cell(
        "secret_code_line = 1",
        execution_count=1,
        outputs=[
            nbformat.v4.new_output("display_data", {"image/png": png, "text/plain": "<Figure>"}),
            nbformat.v4.new_output("execute_result", {"text/html": "<b>bold</b>", "text/plain": "b"}, execution_count=1),
        ],
    )
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title"), cell], metadata={"language_info": {"name": "python"}}
    )
    stock, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    ours, _ = html_exporter().from_notebook_node(nb)
    norm = lambda page: str(BeautifulSoup(page, "html.parser"))
    assert "cdnjs" in stock and not re.search(r"<script src=\"https?://", ours)  # offline: no CDN scripts
    footer = resource("templates", "page_footer.html").read_text(encoding="utf-8")
    assert ours.count(footer) == 1  # the accessibility statement's link on every published page
    placeholder = "No description has been provided for this image"  # nbconvert's alt text: not a description
    assert placeholder in stock and placeholder not in ours
    real_alt = "Chart: the figures it shows are in the table on this page"
    assert norm(ours.replace(footer, "")) == norm(CDN_SCRIPT.sub("", stock).replace(placeholder, real_alt))
    soup = BeautifulSoup(ours, "html.parser")
    assert soup.select("img") and all(img.get("alt") for img in soup.select("img"))
    assert len(soup.select("div.jp-OutputArea-output[tabindex]")) == 2
    assert "secret_code_line" not in ours


def test_dead_worker_is_replaced_and_only_its_notebook_fails(tmp_path):
    out = list(
        run_tasks([_task(tmp_path, "killer", "kills_worker"), _task(tmp_path, "next", "ok", name="next")], workers=1, timeout=30)
    )
    results = {r["name"]: r for r in out if "name" in r}
    assert results["killer"]["status"] == "failed" and results["killer"]["error"]["ename"] == "WorkerDied"
    assert results["next"]["status"] == "built", results["next"]["error"]


def test_pool_kernels_share_the_cpus_and_run_the_warm_up_first(tmp_path, monkeypatch):
    """Each kernel's numerical libraries get the pool's share of the CPUs (unless the environment says
    otherwise), and the workers started early run the warm-up code in their kernels before the first task."""
    from observatory.publish.runner import WarmPool

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    cpus = os.cpu_count() or 1
    pool = WarmPool(2, warm_up="import sys\nsys.warmed_by_the_worker = 'yes'")
    try:
        pool.start()
        assert len(pool.live) == 2  # started before any task
        tasks = [_task(tmp_path, f"env{i}", "environment", label=str(i)) for i in range(3)]
        out = list(run_tasks(tasks, workers=2, pool=pool))
    finally:
        pool.close()
    assert [r["status"] for r in out if "name" in r] == ["built"] * 3
    share = max(1, cpus // 2)
    for i in range(3):
        text = _stream_text(tmp_path / "notebooks" / f"env{i}.ipynb")
        assert f"THREADS {share} {share}" in text and "WARMED yes" in text
    assert out[-1] == {"kernels_started": 2}


def test_threads_the_environment_sets_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    (result, _last) = run_tasks([_task(tmp_path, "env", "environment")], workers=1)
    assert result["status"] == "built"
    share = os.cpu_count() or 1
    assert f"THREADS 3 {share}" in _stream_text(tmp_path / "notebooks" / "env.ipynb")


def test_a_worker_keeps_to_the_notebook_its_kernel_has_warmed():
    """The next task of a worker runs the notebook it ran last (its kernel holds what those notebooks share);
    a fresh worker takes a notebook no other worker is running; with neither, the queue's order holds."""
    from types import SimpleNamespace as W

    from observatory.publish.runner import next_for

    todo = [{"name": "overview", "notebook": "o"}, *({"name": f"p{i}", "notebook": "p"} for i in range(3))]
    todo += [{"name": "catalogue", "notebook": "c"}, {"name": "e1", "notebook": "e"}, {"name": "e2", "notebook": "e"}]
    a, b = W(notebook=None, task=None), W(notebook=None, task=None)
    order = {}
    for w, name in ((a, "a"), (b, "b")):  # both start: each on a notebook the other is not running
        t = todo.pop(next_for(w, todo, [a, b]))
        w.notebook, w.task = t["notebook"], t["name"]
        order.setdefault(name, []).append(t["name"])
    assert order == {"a": ["overview"], "b": ["p0"]}
    t = todo.pop(next_for(b, todo, [a, b]))  # b finishes p0 first: more of the same
    assert t["name"] == "p1"
    t = todo.pop(next_for(a, todo, [a, b]))  # a: no more overviews; p is b's, so the catalogue
    assert t["name"] == "catalogue"
    a.notebook = "c"
    assert todo[next_for(a, todo, [a, b])]["name"] == "e1"  # then the exception reports, not b's profiles
    b.notebook, b.task = "p", "p1"
    del todo[1:]  # only p2 left, b still on p1: a takes it
    assert next_for(a, todo, [a, b]) == 0
    assert next_for(a, [{"name": "x", "notebook": "p"}, {"name": "y", "notebook": "c"}], [a]) == 0  # alone: in order


def test_a_worker_imports_papermill_and_nbconvert_without_pyarrow_or_numpy():
    """A worker runs no notebook code itself: papermill's HDFS handler (pyarrow, and numpy with it) is left out."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from observatory.publish.worker import leave_out_unused_handlers\n"
        "leave_out_unused_handlers()\n"
        "from observatory.publish.export import html_exporter, register_warm_engine\n"
        "register_warm_engine(); html_exporter()\n"
        "import papermill\n"
        "print(sorted(m for m in ('pyarrow', 'numpy', 'pandas') if m in sys.modules))\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_the_executed_notebook_is_written_once_when_it_completes(tmp_path):
    """papermill would write the whole notebook at every cell's start and end; a pack's notebook is written when
    done (with its outputs), and not on disk before."""
    task = _task(tmp_path, "watched", "watches_output")
    task["parameters"] = {"out_notebook": task["out_notebook"]}
    (result, _last) = run_tasks([task], workers=1)
    assert result["status"] == "built", result["error"]
    text = _stream_text(Path(task["out_notebook"]))
    assert "first cell ran" in text
    assert "NOT ON DISK YET" in text
