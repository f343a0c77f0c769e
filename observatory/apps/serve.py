"""Serve the dashboards with Voila on the loopback interface, for one configuration and audience.

Voila runs in its own process on ``dashboards/`` with source cells hidden, preheated kernels (``pool``
of them for the localities dashboard: the visitors expected to arrive together; one for the others), kernels
on IPC sockets (no TCP port race between kernels on one host), idle culling after
``CULL_IDLE_SECONDS`` and at most :func:`kernel_cap` kernels (a "busy" page beyond): ``apps.voila_server``, a
process that never loads the profile tables, the geography or the statistics. Before Voila starts, the
localities dashboard's payload is written for the server's audience (``apps.payload_build``: the publishable
figures, ready geometry and drawn views; reused while its inputs are unchanged), so each kernel only reads it. The root is a landing
page and each dashboard page sets the XSRF cookie its shutdown on close needs (``apps.pages``). Voila cannot inject parameters, so the configuration, audience and store reach the
dashboards' parameters cells through the environment (``OBSERVATORY_CONFIG``,
``OBSERVATORY_AUDIENCE``, ``OBSERVATORY_STORE``); the audience is never read from the query string,
so a visitor cannot widen it. The server also publishes the configuration's packs folder at
``<base_url>observatory/packs/``, but only files listed in the manifest of a pack built for the same
configuration and audience, so the dashboards can link each locality's profile. With ``public_site`` (the
command line's default for the public audience) the localities dashboard is first written as plain files
(``apps.public_site``), served at ``<base_url>observatory/public/`` with the root leading there: no kernel per
visitor. Partners keep the live dashboard. Partners reach it through a reverse proxy: see docs/serving.md.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path

from observatory._core.processes import HOST, answers, start_group, stop_group, wait_until
from observatory._core.resources import dashboards_dir
from observatory._core.settings import DEFAULT_CONFIG
from observatory.apps.dashboard import SERVED_ENV
from observatory.apps.pages import site_info
from observatory.apps.paths import packs_root
from observatory.apps.payload import PAYLOAD_ENV
from observatory.apps.payload_build import write_payload
from observatory.apps.public_site import AUDIENCE as PUBLIC_SITE_AUDIENCE
from observatory.apps.public_site import build_public_site, site_folder
from observatory.apps.voila_server import ENV, MAX_KERNELS, POOL, PUBLIC_SITE_PATH
from observatory.config import Config, load_config
from observatory.metadata.catalogue import allowed_datasets, check_audience
from observatory.profiles.table import Profiles, load_profiles
from observatory.store import Store

DASHBOARDS_DIR = dashboards_dir()
CULL_IDLE_SECONDS = 120
"""Kernels of pages closed without saying goodbye (or left idle and disconnected) are shut down after this."""


def normal_base_url(base_url: str) -> str:
    """``/``, or ``/prefix/`` with one leading and one trailing slash."""
    inner = base_url.strip("/")
    return f"/{inner}/" if inner else "/"


def kernel_cap(pool: int, max_kernels: int | None = None) -> int:
    """The most kernels a server with a localities pool of ``pool`` runs: ``max_kernels``, or by default
    ``MAX_KERNELS`` raised to room for the pool, as many visitors, their refills and the catalogue's two.

    A cap leaving no room beyond the pools would turn every visitor away: ValueError."""
    cap = max(MAX_KERNELS, 2 * int(pool) + 2) if max_kernels is None else int(max_kernels)
    if cap < int(pool) + 2:
        raise ValueError(f"max_kernels={cap} leaves no room beyond a pool of {pool} and the catalogue's kernel")
    return cap


def voila_arguments(
    port: int = 8866,
    preheat: bool = True,
    base_url: str = "/",
    cull_idle_seconds: int = CULL_IDLE_SECONDS,
    root: Path | str = DASHBOARDS_DIR,
) -> list[str]:
    """The Voila command-line arguments: loopback only, no browser, inputs stripped, culling, optional preheat."""
    args = [
        str(root),
        f"--Voila.ip={HOST}",
        f"--port={int(port)}",
        "--no-browser",
        f"--base_url={normal_base_url(base_url)}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--MappingKernelManager.cull_idle_timeout={int(cull_idle_seconds)}",
        f"--MappingKernelManager.cull_interval={max(10, min(60, int(cull_idle_seconds) // 2))}",
        "--MappingKernelManager.cull_connected=False",
        "--KernelManager.transport=ipc",
    ]
    if preheat:
        args += ["--preheat_kernel=True", "--pool_size=1"]
    return args


def voila_environment(
    config: str,
    audience: str,
    store: Path | str | None = None,
    packs: Path | str | None = None,
    site: dict | None = None,
    max_kernels: int = MAX_KERNELS,
    pool: int = POOL,
    payload: Path | str | None = None,
) -> dict[str, str]:
    """The environment of the Voila process (inherited by its kernels): with ``payload``, the kernels read it and
    restyle their maps (the server's pages carry the script that hands a map its style)."""
    env = dict(os.environ)
    env[ENV["config"]] = str(config)
    env[ENV["audience"]] = audience
    env[ENV["max_kernels"]] = str(int(max_kernels))
    env[ENV["pool"]] = str(int(pool))
    if payload:
        env[PAYLOAD_ENV] = str(Path(payload).resolve())
        env[SERVED_ENV] = "1"
    else:
        env.pop(PAYLOAD_ENV, None)
    if site:
        env[ENV["site"]] = json.dumps(site)
    if packs:
        env[ENV["packs"]] = str(packs)
    if store:
        env[ENV["store"]] = str(Path(store).resolve())
    else:
        env.pop(ENV["store"], None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``url`` answers; raise if the server exits first or does not answer in time."""
    wait_until(lambda: answers(url), process, f"Voila at {url}", timeout)


def describe_site(cfg: Config, audience: str, profiles: Profiles, store: Store) -> dict:
    """What the landing page says: the county, the newest period the audience sees, the store's last update."""
    allowed = allowed_datasets(cfg, audience)
    p = profiles.profiles
    seen = p[p["dataset"].isin(allowed) & (p["area_type"] == "locality")]
    newest = str(seen.sort_values("period_sort")["period"].iloc[-1]) if len(seen) else ""
    log = store.log()
    updated = str(log[-1].get("at", ""))[:10] if log else ""
    return site_info(cfg.label, profiles.geography.county.name, cfg.synthetic, audience, updated=updated, latest_period=newest)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a server started by :func:`serve` and its kernels (its whole process group)."""
    stop_group(process, timeout)


def serve(
    config: str = DEFAULT_CONFIG,
    port: int = 8866,
    audience: str = "public",
    preheat: bool = True,
    open_browser: bool = False,
    *,
    base_url: str = "/",
    store: Path | str | None = None,
    wait: bool = True,
    cull_idle_seconds: int = CULL_IDLE_SECONDS,
    max_kernels: int | None = None,
    pool: int | None = None,
    ready_timeout: float = 90,
    quiet: bool = False,
    log: Path | str | None = None,
    announce: Callable[[str], None] | None = None,
    public_site: bool = False,
) -> subprocess.Popen:
    """Start Voila on ``127.0.0.1:port`` for the dashboards of ``config``, as seen by ``audience``.

    Checks the configuration and audience and prepares the profile tables first, so the first page
    does not pay for them. With ``wait`` (the command line), blocks until Ctrl-C and then stops the
    server; otherwise returns the running process (stop it with :func:`stop`). ``log`` receives
    Voila's output (default: inherited, or discarded when ``quiet``); ``announce`` receives the
    addresses once the server answers (the command line prints them; the library never prints).
    ``public_site`` (public audience only): write the pre-rendered localities dashboard first and lead the root there.
    ``pool``: preheated kernels of the live localities dashboard (default ``POOL``; 1 beside the pre-rendered site,
    to which the public is led); ``max_kernels``: the cap (default :func:`kernel_cap`).
    """
    check_audience(audience)
    cfg = load_config(config)
    st = Store(Path(store) if store else cfg.store_dir())
    if not st.path.exists():
        raise FileNotFoundError(f"no evidence store at {st.path}: run `observatory ingest --config {cfg.name}` first")
    pre_rendered = public_site and audience == PUBLIC_SITE_AUDIENCE
    pool = (1 if pre_rendered else POOL) if pool is None else int(pool)
    cap = kernel_cap(pool, max_kernels)
    profiles = load_profiles(cfg, st)
    site = describe_site(cfg, audience, profiles, st)
    payload = write_payload(cfg, audience, store=st, profiles=profiles, reuse=True)["folder"]
    env = voila_environment(str(cfg.dir), audience, store, packs_root(cfg), site, cap, pool, payload)
    if pre_rendered:
        env[ENV["public_site"]] = str(build_public_site(cfg, site_folder(cfg), store=st, profiles=profiles, reuse=True)["folder"])
    args = voila_arguments(port, preheat, base_url, cull_idle_seconds)
    process = start_group(
        [sys.executable, "-m", "observatory.apps.voila_server", *args], env=env, cwd=DASHBOARDS_DIR, log=log, quiet=quiet
    )
    url = f"http://{HOST}:{int(port)}{normal_base_url(base_url)}"
    try:
        wait_until_ready(url, process, ready_timeout)
    except BaseException:
        stop(process)
        raise
    if announce is not None:
        pages = "".join(f"  {nb.stem}: {url}voila/render/{nb.name}\n" for nb in sorted(DASHBOARDS_DIR.glob("*.ipynb")))
        if ENV["public_site"] in env:
            pages += f"  localities, pre-rendered for the public: {url}{PUBLIC_SITE_PATH}\n"
        announce(
            f"Dashboards of {cfg.label} for audience '{audience}': open {url}  (listening on {HOST} only)\n{pages}"
            + (
                f"  {pool} kernel(s) of the localities dashboard are preheated: a visitor's first map draws at once\n"
                if preheat
                else ""
            )
            + ("  press Ctrl-C to stop" if wait else "")
        )
    if open_browser:
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
