"""Run notebooks on warm kernels: worker processes that each keep one Jupyter kernel across notebooks.

A fresh kernel costs seconds per notebook (process start, imports of pandas/geopandas); a warm one
costs a namespace reset. Each worker starts one kernel, then for every task resets the namespace,
moves the kernel into the notebook's folder, runs the notebook with papermill on that kernel and
its client, renders HTML without code cells and hashes what it wrote. A kernel that dies or times
out is replaced; only its task fails.

Importing this module is cheap: papermill, nbconvert and jupyter_client are imported in workers only.
"""
from __future__ import annotations

import hashlib
import logging
import multiprocessing as mp
import os
import queue
import signal
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

ENGINE = "observatory-warm"
KERNEL_ARGS = ["--HistoryManager.enabled=False"]  # no SQLite history: execution counts restart per notebook
RESET_TIMEOUT = 60

RESET_CODE = """\
get_ipython().run_line_magic("reset", "-f")
import gc as _gc, os as _os, sys as _sys, warnings as _warnings
_os.chdir({cwd!r})
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
if "pandas" in _sys.modules:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        _sys.modules["pandas"].reset_option("all")
_gc.collect()
get_ipython().execution_count = 1
del _gc, _os, _sys, _warnings
"""


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- worker side

class WarmKernel:
    """One kernel and one client, kept across notebooks; restarted when it dies or hangs."""

    def __init__(self, kernel_name: str = "python3", start_timeout: float = 60, stream: Any = None):
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.stream = stream
        self.km = None
        self.kc = None
        self.starts = 0

    def launch(self) -> None:
        """Start the kernel process without waiting for it to be ready."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc" if os.name == "posix" else "tcp")
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGS, stdout=self.stream, stderr=self.stream)
        self.starts += 1

    def connect(self) -> None:
        from jupyter_core.utils import run_sync

        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=self.start_timeout)
        self.kc.allow_stdin = False

    def ensure(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None and self.kc is not None and run_sync(self.km.is_alive)():
            return
        self.shutdown()
        self.launch()
        self.connect()

    def reset(self, cwd: str) -> None:
        """Clear the user namespace, close figures, reset pandas options and move into ``cwd``."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(RESET_CODE.format(cwd=cwd), silent=True, store_history=False,
                                                      timeout=RESET_TIMEOUT, output_hook=lambda msg: None)
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"kernel reset failed: {content.get('ename')}: {content.get('evalue')}")

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
            self.kc = None
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:
                pass
            self.km = None


def _register_engine() -> None:
    """Register a papermill engine that runs on a given kernel manager *and* client.

    Passing only ``km`` would make nbclient open (and leak) a new client per notebook, which
    costs a few tenths of a second each; reusing the client does not.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, km=None, kc=None,
                                     save_on_error=None, extra_metadata=None, **kwargs):
            if extra_metadata:
                nb_man.nb.metadata["observatory"] = extra_metadata
            client = PapermillNotebookClient(nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                                             kernel_name=kernel_name, log=logging.getLogger("papermill"),
                                             log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kc
            try:
                return client.execute()
            except BaseException:
                if save_on_error:
                    nb_man.notebook_complete()
                    write_ipynb(nb_man.nb, save_on_error)
                raise

    papermill_engines.register(ENGINE, WarmKernelEngine)


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _html_exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    return HTMLExporter(config=c, exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def _publishable(nb):
    """``nb`` without stderr streams, in place: warnings stay in the executed notebook, not in the HTML."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb


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


def run_task(task: dict, kernel: WarmKernel, exporter, *, timeout: float) -> dict:
    """Execute one task on ``kernel``; never raises for a notebook's own failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    pack_dir = Path(task["pack_dir"])
    out_nb, out_html = Path(task["out_notebook"]), Path(task["out_html"])
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    out_html.unlink(missing_ok=True)
    capture = _Capture()
    pm_log = logging.getLogger("papermill")
    pm_log.addHandler(capture)
    pm_log.propagate = False
    error, restarted = None, False
    nb = None
    try:
        kernel.ensure()
        kernel.reset(task["cwd"])
        nb = pm.execute_notebook(
            task["notebook"], str(out_nb), parameters=task["parameters"], engine_name=ENGINE,
            kernel_name=kernel.kernel_name, km=kernel.km, kc=kernel.kc, progress_bar=False,
            request_save_on_cell_execute=False, start_timeout=kernel.start_timeout, execution_timeout=timeout,
            save_on_error=str(out_nb), extra_metadata=task.get("metadata"),
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
    stderr_lines = []
    if nb is not None:
        stderr_lines = [o.get("text", "").strip().splitlines()[0] for c in nb.cells for o in c.get("outputs", [])
                        if o.get("output_type") == "stream" and o.get("name") == "stderr" and o.get("text", "").strip()]
    if error is None:
        try:
            body, _ = exporter.from_notebook_node(_publishable(nb), resources={"metadata": {"name": task["title"]}})
            out_html.write_text(body, encoding="utf-8")
        except Exception as exc:
            error = {"ename": type(exc).__name__, "evalue": f"HTML export failed: {exc}", "cell": None, "source": ""}
    files = [p for p in (out_nb, out_html) if p.exists()] + _output_files(pack_dir, task.get("outputs", []))
    return {
        "name": task["name"],
        "status": "failed" if error else "built",
        "seconds": round(time.perf_counter() - t0, 3),
        "error": error,
        "files": {p.relative_to(pack_dir).as_posix(): sha256_file(p) for p in dict.fromkeys(files)},
        "warnings": capture.messages + [f"stderr: {s}" for s in stderr_lines],
        "kernel_restarted": restarted,
    }


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)


def worker_main(worker_id: int, tasks, results, settings: dict) -> None:
    """Entry point of a worker process: start a kernel, run tasks until a ``None`` arrives."""
    signal.signal(signal.SIGTERM, _exit_on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it terminates workers on Ctrl-C
    stream = open(settings["kernel_log"], "ab") if settings.get("kernel_log") else None
    kernel = WarmKernel(settings["kernel_name"], settings["start_timeout"], stream)
    try:
        try:
            kernel.launch()  # boots while papermill and nbconvert import
        except Exception:
            kernel.shutdown()
        _register_engine()
        exporter = _html_exporter()
        while True:
            task = tasks.get()
            if task is None:
                break
            results.put(("start", worker_id, task["name"], time.time()))
            try:
                result = run_task(task, kernel, exporter, timeout=settings["timeout"])
            except Exception as exc:
                kernel.shutdown()
                result = {"name": task["name"], "status": "failed", "seconds": 0.0, "files": {}, "warnings": [],
                          "kernel_restarted": True,
                          "error": {"ename": type(exc).__name__, "evalue": str(exc), "cell": None,
                                    "source": traceback.format_exc(limit=3)}}
            result["worker"] = worker_id
            results.put(("done", worker_id, result, time.time()))
    finally:
        results.put(("kernels", worker_id, kernel.starts, time.time()))
        kernel.shutdown()
        if stream is not None:
            stream.close()


# --------------------------------------------------------------------------- parent side

def run_tasks(tasks: list[dict], *, workers: int, timeout: float = 300, start_timeout: float = 60,
              kernel_name: str = "python3", kernel_log: Path | None = None,
              on_start: Callable[[str, int], None] | None = None) -> Iterator[dict]:
    """Run ``tasks`` on ``workers`` warm-kernel processes; yield each result as it finishes.

    A worker process that dies mid-task is replaced and only that task fails. The last value
    yielded carries ``{"kernels_started": n}`` instead of a task result.
    """
    if not tasks:
        yield {"kernels_started": 0}
        return
    ctx = mp.get_context("spawn")
    task_q, result_q = ctx.Queue(), ctx.Queue()
    settings = {"timeout": timeout, "start_timeout": start_timeout, "kernel_name": kernel_name,
                "kernel_log": str(kernel_log) if kernel_log else None}
    n = max(1, min(workers, len(tasks)))
    for t in tasks:
        task_q.put(t)
    for _ in range(n):
        task_q.put(None)
    procs: dict[int, Any] = {}
    inflight: dict[int, str] = {}
    pending = {t["name"] for t in tasks}
    kernels = 0
    replacements = 0

    def spawn(wid: int) -> None:
        p = ctx.Process(target=worker_main, args=(wid, task_q, result_q, settings), daemon=True,
                        name=f"observatory-pack-worker-{wid}")
        p.start()
        procs[wid] = p

    try:
        for wid in range(n):
            spawn(wid)
        while pending:
            try:
                msg = result_q.get(timeout=0.5)
            except queue.Empty:
                for wid, p in list(procs.items()):
                    if p.is_alive() or p.exitcode is None:
                        continue
                    del procs[wid]
                    name = inflight.pop(wid, None)
                    if name in pending and p.exitcode != 0:
                        pending.discard(name)
                        yield {"name": name, "status": "failed", "seconds": 0.0, "files": {}, "warnings": [],
                               "worker": wid, "kernel_restarted": True,
                               "error": {"ename": "WorkerDied", "evalue": f"worker process exited with code {p.exitcode}",
                                         "cell": None, "source": ""}}
                    if p.exitcode != 0 and pending and replacements < len(tasks):
                        replacements += 1
                        spawn(n + replacements)
                if not procs and pending:
                    for name in sorted(pending):
                        yield {"name": name, "status": "failed", "seconds": 0.0, "files": {}, "warnings": [],
                               "kernel_restarted": False,
                               "error": {"ename": "WorkerLost", "evalue": "no worker left to run this notebook",
                                         "cell": None, "source": ""}}
                    pending.clear()
                continue
            kind, wid = msg[0], msg[1]
            if kind == "start":
                inflight[wid] = msg[2]
                if on_start:
                    on_start(msg[2], wid)
            elif kind == "done":
                inflight.pop(wid, None)
                if msg[2]["name"] in pending:
                    pending.discard(msg[2]["name"])
                    yield msg[2]
            elif kind == "kernels":
                kernels += msg[2]
        deadline = time.monotonic() + 30
        reported: set[int] = set()
        while len(reported) < len(procs) and time.monotonic() < deadline:
            try:
                msg = result_q.get(timeout=0.1)
            except queue.Empty:
                if not any(p.is_alive() for p in procs.values()):
                    break
                continue
            if msg[0] == "kernels":
                kernels += msg[2]
                reported.add(msg[1])
    finally:
        for p in procs.values():
            if p.is_alive():
                p.terminate()
        for p in procs.values():
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join(1)
        task_q.cancel_join_thread()
    yield {"kernels_started": kernels}


def run_plain_papermill(notebooks: list[tuple[Path, dict, Path]], *, html: bool = True) -> float:
    """Seconds to run each (notebook, parameters, output) sequentially, one fresh kernel each.

    The naive baseline for the benchmark; HTML is rendered with one in-process exporter.
    """
    import papermill as pm

    exporter = _html_exporter() if html else None
    t0 = time.perf_counter()
    for nb_path, params, out in notebooks:
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            nb = pm.execute_notebook(str(nb_path), str(out), parameters=params, progress_bar=False,
                                     cwd=str(Path(nb_path).parent), kernel_name="python3")
        except Exception:
            continue
        if exporter is not None:
            body, _ = exporter.from_notebook_node(_publishable(nb))
            out.with_suffix(".html").write_text(body, encoding="utf-8")
    return time.perf_counter() - t0
