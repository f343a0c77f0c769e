"""Serve the dashboards with Voila on the loopback interface, for one configuration and audience.

Voila runs in its own process on ``dashboards/`` with source cells hidden, preheated kernels and
idle culling. Voila cannot inject parameters, so the configuration, audience and store reach the
dashboards' parameters cells through the environment (``OBSERVATORY_CONFIG``,
``OBSERVATORY_AUDIENCE``, ``OBSERVATORY_STORE``); the audience is never read from the query string,
so a visitor cannot widen it. The server also publishes the configuration's packs folder at
``<base_url>observatory/packs/``, but only files listed in the manifest of a pack built for the same
configuration and audience, so the dashboards can link each locality's profile. Partners reach it
through a reverse proxy: see docs/serving.md.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import typer

from observatory._core.resources import dashboards_dir
from observatory._core.settings import DEFAULT_CONFIG
from observatory.apps.paths import PACKS_PATH, packs_root

DASHBOARDS_DIR = dashboards_dir()
HOST = "127.0.0.1"
CULL_IDLE_SECONDS = 600
ENV = {"config": "OBSERVATORY_CONFIG", "audience": "OBSERVATORY_AUDIENCE", "store": "OBSERVATORY_STORE",
       "packs": "OBSERVATORY_PACKS_DIR"}


def normal_base_url(base_url: str) -> str:
    """``/``, or ``/prefix/`` with one leading and one trailing slash."""
    inner = base_url.strip("/")
    return f"/{inner}/" if inner else "/"


def voila_arguments(port: int = 8866, preheat: bool = True, base_url: str = "/",
                    cull_idle_seconds: int = CULL_IDLE_SECONDS, root: Path | str = DASHBOARDS_DIR) -> list[str]:
    """The Voila command-line arguments: loopback only, no browser, inputs stripped, culling, optional preheat."""
    args = [str(root), f"--Voila.ip={HOST}", f"--port={int(port)}", "--no-browser", f"--base_url={normal_base_url(base_url)}",
            "--strip_sources=True", "--show_tracebacks=False",
            f"--MappingKernelManager.cull_idle_timeout={int(cull_idle_seconds)}",
            f"--MappingKernelManager.cull_interval={max(10, min(60, int(cull_idle_seconds) // 2))}",
            "--MappingKernelManager.cull_connected=False"]
    if preheat:
        args += ["--preheat_kernel=True", "--pool_size=1"]
    return args


def voila_environment(config: str, audience: str, store: Path | str | None = None,
                      packs: Path | str | None = None) -> dict[str, str]:
    """The environment of the Voila process (inherited by its kernels)."""
    env = dict(os.environ)
    env[ENV["config"]] = str(config)
    env[ENV["audience"]] = audience
    if packs:
        env[ENV["packs"]] = str(packs)
    if store:
        env[ENV["store"]] = str(Path(store).resolve())
    else:
        env.pop(ENV["store"], None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def wait_until_ready(url: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Poll ``url`` until it answers; raise if the server exits first or does not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"Voila exited with code {process.returncode} before answering at {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status < 500:
                    return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"Voila did not answer at {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server started by :func:`serve` and its kernels (its whole process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)
    except ProcessLookupError:
        pass


def serve(config: str = DEFAULT_CONFIG, port: int = 8866, audience: str = "public", preheat: bool = True,
          open_browser: bool = False, *, base_url: str = "/", store: Path | str | None = None, wait: bool = True,
          cull_idle_seconds: int = CULL_IDLE_SECONDS, ready_timeout: float = 90, quiet: bool = False,
          log: Path | str | None = None) -> subprocess.Popen:
    """Start Voila on ``127.0.0.1:port`` for the dashboards of ``config``, as seen by ``audience``.

    Checks the configuration and audience and prepares the profile tables first, so the first page
    does not pay for them. With ``wait`` (the command line), blocks until Ctrl-C and then stops the
    server; otherwise returns the running process (stop it with :func:`stop`). ``log`` receives
    Voila's output (default: inherited, or discarded when ``quiet``).
    """
    from observatory.metadata.catalogue import check_audience
    from observatory.config import load_config
    from observatory.profiles.table import load_profiles
    from observatory.store import Store

    check_audience(audience)
    cfg = load_config(config)
    st = Store(Path(store) if store else cfg.store_dir())
    if not st.path.exists():
        raise FileNotFoundError(f"no evidence store at {st.path}: run `observatory ingest --config {cfg.name}` first")
    load_profiles(cfg, st)
    env = voila_environment(str(cfg.dir), audience, store, packs_root(cfg))
    args = voila_arguments(port, preheat, base_url, cull_idle_seconds)
    out = open(log, "ab") if log else (subprocess.DEVNULL if quiet else None)
    process = subprocess.Popen([sys.executable, "-m", "observatory.apps.serve", *args], env=env, cwd=str(DASHBOARDS_DIR),
                               stdout=out, stderr=subprocess.STDOUT if out is not None else None, start_new_session=True)
    if log:
        out.close()
    url = f"http://{HOST}:{int(port)}{normal_base_url(base_url)}"
    try:
        wait_until_ready(url, process, ready_timeout)
    except BaseException:
        stop(process)
        raise
    if not quiet:
        pages = "".join(f"  {nb.stem}: {url}voila/render/{nb.name}\n" for nb in sorted(DASHBOARDS_DIR.glob("*.ipynb")))
        print(f"Dashboards of {cfg.label} for audience '{audience}' at {url}  (listening on {HOST} only)\n{pages}"
              + ("  kernels are preheated: the first page draws without waiting for a kernel\n" if preheat else "")
              + ("  press Ctrl-C to stop" if wait else ""), flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    if wait:
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a stopped launcher stops Voila too
        try:
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop(process)
            signal.signal(signal.SIGTERM, previous)
    return process


def serve_cli(
    config: str = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Configuration name (demo, warwickshire) or folder."),
    port: int = typer.Option(8866, help="Port on 127.0.0.1."),
    audience: str = typer.Option("public", help="Audience: public, partners or partner:<id>."),
    preheat: bool = typer.Option(True, "--preheat/--no-preheat", help="Keep a kernel per dashboard ready."),
    base_url: str = typer.Option("/", "--base-url", help="Path prefix when served behind a reverse proxy, e.g. /localities/."),
) -> None:
    """Serve the dashboards with Voila on 127.0.0.1 (put a reverse proxy in front for partners)."""
    try:
        serve(config=config, port=port, audience=audience, preheat=preheat, base_url=base_url)
    except (FileNotFoundError, ValueError, RuntimeError, TimeoutError) as e:
        typer.echo(f"serve failed: {e}", err=True)
        raise typer.Exit(2)


# ---- the Voila process ---------------------------------------------------------------------

def pack_file_allowed(root: Path | str, path: Path | str, config: str, audience: str) -> bool:
    """May the server of ``config`` for ``audience`` publish ``path``? Only a file listed in the manifest of a pack
    folder directly under ``root`` built for that configuration and audience."""
    from observatory.publish.engine import read_manifest

    base, p = Path(root).resolve(), Path(path).resolve()
    if base not in p.parents or not p.is_file():
        return False
    folder = base / p.relative_to(base).parts[0]
    manifest = read_manifest(folder) or {}
    build = manifest.get("build") or {}
    return (str(build.get("audience", "")) == audience and str(build.get("config", "")) == config
            and p.relative_to(folder).as_posix() in (manifest.get("files") or {}))


def _packs_handler(config: str, audience: str):
    """A tornado handler publishing the pack files :func:`pack_file_allowed` allows (404 for anything else)."""
    import tornado.web

    class PackFileHandler(tornado.web.StaticFileHandler):
        def validate_absolute_path(self, root: str, absolute_path: str):
            if not pack_file_allowed(root, absolute_path, config, audience):
                raise tornado.web.HTTPError(404)
            return super().validate_absolute_path(root, absolute_path)

    return PackFileHandler


def _main(argv: list[str]) -> None:
    from jupyter_server.utils import url_path_join
    from voila.app import Voila

    from observatory.config import load_config

    cfg = load_config(os.environ.get(ENV["config"], DEFAULT_CONFIG))
    handler = _packs_handler(cfg.name, os.environ.get(ENV["audience"], "public"))
    root = os.environ.get(ENV["packs"])
    if not root:  # started by hand: work it out (imports pandas into the server)
    
        root = packs_root(cfg)

    class ObservatoryVoila(Voila):
        def init_handlers(self):
            own = [(url_path_join(self.server_url, PACKS_PATH + "(.*)"), handler, {"path": str(root)})]
            return own + super().init_handlers()

    ObservatoryVoila.launch_instance(argv)


if __name__ == "__main__":
    _main(sys.argv[1:])
