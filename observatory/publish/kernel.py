"""A warm kernel: one Jupyter kernel and its client kept across notebooks, reset between them, restarted
when it dies or hangs; and the Linux request that a child process die with its parent.

Importing this module is cheap: jupyter_client is imported when a kernel starts.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable

KERNEL_ARGS = ["--HistoryManager.enabled=False"]  # no SQLite history: execution counts restart per notebook
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
"""What caps the threads of the kernel's numerical libraries (OpenBLAS, MKL, numexpr; Arrow's pool follows
``OMP_NUM_THREADS``)."""
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
_gc.freeze()
get_ipython().execution_count = 1
del _gc, _os, _sys, _warnings
"""


class WarmKernel:
    """One kernel and one client, kept across notebooks; restarted when it dies or hangs.

    ``threads``: the threads each numerical library of the kernel may use (``THREAD_VARIABLES``, unless the
    environment sets them already); None leaves the libraries' own default (a thread per CPU)."""

    def __init__(
        self, kernel_name: str = "python3", start_timeout: float = 60, runtime_dir: str | None = None, threads: int | None = None
    ):
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.runtime_dir = runtime_dir
        self.threads = threads
        self.km = None
        self.kc = None
        self.tmpdir: str | None = None
        self.starts = 0

    def launch(self) -> None:
        """Start the kernel process without waiting for it to be ready."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if os.name == "posix":  # unix sockets in a private folder: no TCP, no clash between workers
            self.tmpdir = tempfile.mkdtemp(prefix="observatory-kernel-", dir=self.runtime_dir)
            self.km = AsyncKernelManager(
                kernel_name=self.kernel_name,
                transport="ipc",
                connection_file=os.path.join(self.tmpdir, "kernel.json"),
                ip=os.path.join(self.tmpdir, "ipc"),
            )
        else:
            self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        death = die_with_parent(signal.SIGKILL)  # a worker killed outright takes its kernel with it
        options = {"preexec_fn": death} if death else {}
        if self.threads:
            options["env"] = {**{v: str(self.threads) for v in THREAD_VARIABLES}, **os.environ}
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGS, **options)
        self.starts += 1

    def connect(self) -> None:
        from jupyter_core.utils import run_sync

        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=self.start_timeout)
        self.kc.allow_stdin = False

    def warm_up(self, code: str) -> None:
        """Send ``code`` to the kernel without waiting for it (imports the notebooks need, run while the worker
        waits for its first task); a failure there is the notebooks' to report. The next ``reset`` waits for it."""
        if self.kc is None:
            self.connect()
        self.kc.execute(code, silent=True, store_history=False)

    def ensure(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None and run_sync(self.km.is_alive)():
            if self.kc is None:
                self.connect()
            return
        self.shutdown()
        self.launch()
        self.connect()

    def reset(self, cwd: str) -> None:
        """Clear the user namespace, close figures, reset pandas options and move into ``cwd``."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(
            RESET_CODE.format(cwd=cwd), silent=True, store_history=False, timeout=RESET_TIMEOUT, output_hook=lambda msg: None
        )
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
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send ``sig`` to the child when its parent dies (even by SIGKILL).

    Workers get SIGTERM (they then stop their kernel), kernels SIGKILL. None where prctl is unavailable.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), int(sig))

    return preexec
