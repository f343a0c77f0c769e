"""A worker process (``python -m observatory.publish.worker``): one warm kernel running the tasks read from
stdin with papermill, rendering HTML without code cells and hashing what each wrote; events go to stdout
as JSON lines.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from observatory._core.digests import sha256_file
from observatory._core.files import write_atomic
from observatory.publish.export import ENGINE, html_exporter, register_warm_engine, render_html, share_assets
from observatory.publish.kernel import WarmKernel
from observatory.publish.places import Places


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _error_info(exc: BaseException) -> dict:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first = next((ln for ln in (exc.source or "").splitlines() if ln.strip()), "")
        return {"ename": exc.ename, "evalue": str(exc.evalue), "cell": exc.exec_count, "source": first[:200]}
    name = type(exc).__name__
    text = str(exc).strip().splitlines()
    return {"ename": name, "evalue": text[0][:500] if text else "", "cell": None, "source": ""}


def _output_files(pack_dir: Path, patterns: list[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in pack_dir.glob(pattern) if p.is_file())
    return sorted(found)


def _stderr_lines(nb) -> list[str]:
    """The first line of each stderr stream a notebook printed."""
    return [
        o.get("text", "").strip().splitlines()[0]
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr" and o.get("text", "").strip()
    ]


def _write_page(nb, exporter, task: dict, places: Places, out_html: Path) -> tuple[dict | None, dict[str, str]]:
    """Render the executed notebook as HTML without code; an error (or None) and the shared assets it links."""
    shared: dict[str, str] = {}
    try:
        page = render_html(nb, exporter, task["title"], places.scrub)
        if task.get("assets"):
            page, shared = share_assets(page, Path(task["pack_dir"]), out_html.parent)
        write_atomic(out_html, page)
    except Exception as exc:
        return {"ename": type(exc).__name__, "evalue": f"HTML export failed: {exc}", "cell": None, "source": ""}, shared
    return None, shared


def run_task(task: dict, kernel: WarmKernel, exporter, *, timeout: float) -> dict:
    """Execute one task on ``kernel``; never raises for a notebook's own failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    pack_dir = Path(task["pack_dir"])
    out_nb, out_html = Path(task["out_notebook"]), Path(task["out_html"])
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.unlink(missing_ok=True)
    capture = _Capture()
    pm_log = logging.getLogger("papermill")
    pm_log.addHandler(capture)
    pm_log.propagate = False
    error, restarted = None, False
    nb = None
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    try:
        kernel.ensure()  # the first task waits here for its kernel to be ready
        kernel.reset(task["cwd"])
        phases["kernel"] = time.perf_counter() - mark
        mark = time.perf_counter()
        nb = pm.execute_notebook(
            task["notebook"],
            str(out_nb),
            parameters=task["parameters"],
            engine_name=ENGINE,
            kernel_name=kernel.kernel_name,
            km=kernel.km,
            kc=kernel.kc,
            progress_bar=False,
            request_save_on_cell_execute=False,
            start_timeout=kernel.start_timeout,
            execution_timeout=timeout,
            save_on_error=str(out_nb),
            extra_metadata=task.get("metadata"),
        )
    except PapermillExecutionError as exc:
        error = _error_info(exc)
    except Exception as exc:  # dead kernel, cell timeout, failed reset: the kernel cannot be trusted
        error = _error_info(exc)
        if type(exc).__name__ == "CellTimeoutError":
            error["evalue"] = f"a cell ran longer than {timeout:g} s"
        kernel.shutdown()
        restarted = True
    finally:
        pm_log.removeHandler(capture)
        phases["execution"] = time.perf_counter() - mark
    mark = time.perf_counter()
    stderr_lines = _stderr_lines(nb) if nb is not None else []
    places = Places(task.get("places") or [])
    if out_nb.exists():  # parameters, papermill's paths and tracebacks name the build machine's folders
        places.scrub_file(out_nb)
    shared: dict[str, str] = {}
    if error is None:
        error, shared = _write_page(nb, exporter, task, places, out_html)
    phases["html export"] = time.perf_counter() - mark
    mark = time.perf_counter()
    error = places.scrub_value(error)
    files = [p for p in (out_nb, out_html) if p.exists()] + _output_files(pack_dir, task.get("outputs", []))
    digests = {p.relative_to(pack_dir).as_posix(): sha256_file(p) for p in dict.fromkeys(files)} | shared
    phases["hashing"] = time.perf_counter() - mark
    return {
        "name": task["name"],
        "status": "failed" if error else "built",
        "seconds": round(time.perf_counter() - t0, 3),
        "error": error,
        "files": digests,
        "phases": {k: round(v, 3) for k, v in phases.items()},
        "warnings": [places.scrub(w) for w in capture.messages + [f"stderr: {s}" for s in stderr_lines]],
        "kernel_restarted": restarted,
    }


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)


def leave_out_unused_handlers() -> None:
    """Keep papermill from importing pyarrow (for its HDFS handler: a pack's notebooks and outputs are local
    files), which would bring numpy with it: 0.2 s of CPU in each worker while the kernels boot. Only for this
    process, which runs no notebook code itself, and only if nothing imported ``pyarrow.fs`` already."""
    sys.modules.setdefault("pyarrow.fs", None)  # None: ``import pyarrow.fs`` raises ImportError, handled by papermill


def worker_main(settings: dict) -> None:
    """A worker process: start a kernel, run the JSON tasks read from stdin until it closes.

    Events go to the original stdout as JSON lines; anything else printed in this process (or by
    its kernel) goes to stderr, so it cannot corrupt the protocol.
    """
    leave_out_unused_handlers()
    signal.signal(signal.SIGTERM, _exit_on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it terminates workers on Ctrl-C
    events = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)

    def send(event: dict) -> None:
        events.write(json.dumps(event) + "\n")
        events.flush()

    kernel = WarmKernel(settings["kernel_name"], settings["start_timeout"], settings.get("runtime_dir"), settings.get("threads"))
    try:
        try:
            kernel.launch()  # boots while papermill and nbconvert import
        except Exception:
            kernel.shutdown()
        register_warm_engine()
        exporter = html_exporter()
        if settings.get("warm_up") and kernel.km is not None:
            try:
                kernel.warm_up(settings["warm_up"])
            except Exception:  # the first task starts the kernel again
                kernel.shutdown()
        for line in sys.stdin:
            if not line.strip():
                continue
            task = json.loads(line)
            send({"event": "start", "name": task["name"]})
            try:
                result = run_task(task, kernel, exporter, timeout=task.get("timeout") or settings["timeout"])
            except Exception as exc:
                kernel.shutdown()
                result = task_failure(task["name"], type(exc).__name__, str(exc), traceback.format_exc(limit=3))
            send({"event": "done", "result": result, "kernels": kernel.starts})
    finally:
        kernel.shutdown()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        send({"event": "kernels", "count": kernel.starts})
        events.close()


def task_failure(name: str, ename: str, evalue: str, source: str = "") -> dict:
    return {
        "name": name,
        "status": "failed",
        "seconds": 0.0,
        "files": {},
        "warnings": [],
        "kernel_restarted": True,
        "error": {"ename": ename, "evalue": evalue, "cell": None, "source": source},
    }


if __name__ == "__main__":
    worker_main(json.loads(sys.argv[1]))
