"""The ONE papermill + HTML-export path: run a parameterised notebook, render it without code, offline.

Both the pack workers (on a warm kernel) and one-off runs such as ``observatory catalogue`` (a fresh
kernel, :func:`run_notebook`) come through here, so every page is rendered the same way: no code cells,
no prompts, no CDN scripts, stderr left in the executed notebook only. Importing this module is cheap:
papermill and nbconvert are imported when first used (they cost ~0.5–2 s, see FIELD-NOTES).
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from observatory._core.digests import sha256_bytes
from observatory._core.files import write_atomic
from observatory._core.resources import resource, template_bytecode_cache

ENGINE = "observatory-warm"

CDN_SCRIPT = re.compile(r'<script src="https?://[^"]*">\s*</script>')
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")
_FOCUSABLE_DIV = re.compile(r'(<div class="[^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*"[^>]*?)>')


ASSETS = "assets"
"""The pack folder holding what every page repeats (Leaflet, the notebook styles), written once."""
_MARKED = re.compile(r'<(style|script) data-pack-asset="([A-Za-z0-9_.-]+)">(.*?)</\1>', re.S)
_MARKED_IN_ATTRIBUTE = re.compile(r"&lt;(style|script) data-pack-asset=&#34;([A-Za-z0-9_.-]+)&#34;&gt;(.*?)&lt;/\1&gt;", re.S)
_PAGE_STYLE = re.compile(r'<style type="text/css">(.*?)</style>', re.S)
SHARED_STYLE_BYTES = 2048
"""A page's own ``<style>`` block at least this long is shared (nbconvert's theme); smaller ones stay inline."""


@lru_cache(maxsize=16)
def _unescaped(text: str) -> str:
    """An asset escaped inside a frame's ``srcdoc``, as written: every map page repeats the same Leaflet (about
    36,000 character references, 5 ms to unescape), so each distinct one is unescaped once per process."""
    return html.unescape(text)


def share_assets(page: str, pack_dir: Path, page_dir: Path) -> tuple[str, dict[str, str]]:
    """``page`` with repeated assets moved to ``<pack>/assets/`` and linked relatively (file:// keeps working).

    Moved: blocks marked ``<style|script data-pack-asset="name">`` (also inside an ``iframe srcdoc``, where they
    are escaped; such frames get ``allow-same-origin`` so that opened from disk they may load the pack's own
    files) and nbconvert's large ``<style>`` blocks (named by digest). Returns the page and the assets it
    uses (pack-relative path -> sha256); each asset is written only when missing or different.
    """
    prefix = Path(os.path.relpath(pack_dir / ASSETS, page_dir)).as_posix()
    used: dict[str, str] = {}

    def store(name: str, text: str) -> str:
        data = text.encode("utf-8")
        digest = sha256_bytes(data)
        target = pack_dir / ASSETS / name
        if not (target.is_file() and sha256_bytes(target.read_bytes()) == digest):
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data)
        used[f"{ASSETS}/{name}"] = digest
        return f"{prefix}/{name}"

    def link(kind: str, href: str) -> str:
        return f'<link rel="stylesheet" href="{href}">' if kind == "style" else f'<script src="{href}"></script>'

    page = _MARKED.sub(lambda m: link(m[1], store(m[2], m[3])), page)
    page, framed = _MARKED_IN_ATTRIBUTE.subn(lambda m: html.escape(link(m[1], store(m[2], _unescaped(m[3])))), page)
    if framed:  # a sandboxed srcdoc frame has an opaque origin, which Chromium lets read no file:// script
        page = page.replace(' sandbox="allow-scripts"', ' sandbox="allow-scripts allow-same-origin"')

    def page_style(m: re.Match) -> str:
        if len(m[1]) < SHARED_STYLE_BYTES:
            return m[0]
        return link("style", store(f"page-{sha256_bytes(m[1].encode('utf-8'))[:12]}.css", m[1]))

    return _PAGE_STYLE.sub(page_style, page), used


def strip_cdn(page: str) -> str:
    """``page`` without scripts loaded from a CDN (require.js, MathJax): packs are read offline."""
    return CDN_SCRIPT.sub("", page)


def html_exporter():
    """One HTML exporter per process: no code cells, no prompts; cells tagged ``remove-cell`` (or
    outputs tagged ``remove-output``) left out.

    nbconvert's exporter re-parses its own page with BeautifulSoup only to add placeholder alt text
    and ``tabindex`` attributes, which takes about a second on a page with a map; this one adds
    the same attributes with two substitutions, and falls back to the stock path if nbconvert's
    internals change.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from traitlets.config import Config

    class PackHTMLExporter(HTMLExporter):
        def _create_environment(self):
            env = super()._create_environment()
            env.bytecode_cache = template_bytecode_cache("nbconvert")  # its lab template compiled once per machine
            return env

        def from_notebook_node(self, nb, resources=None, **kw):
            try:
                from nbconvert.filters.highlight import Highlight2HTML
                from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

                info = nb.metadata.get("language_info", {})
                lexer = info.get("pygments_lexer", info.get("name"))
                self.register_filter(
                    "highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
                )
                resources = self._init_resources(resources)
                self.register_filter(
                    "filter_data_type",
                    WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
                )
                page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            except (ImportError, AttributeError, TypeError):
                return super().from_notebook_node(nb, resources, **kw)
            page = strip_cdn(page)
            page = _IMG_WITHOUT_ALT.sub('<img alt="Chart: the figures it shows are in the table on this page"', page)
            page = page.replace("</body>", resource("templates", "page_footer.html").read_text(encoding="utf-8") + "</body>", 1)
            page = _FOCUSABLE_DIV.sub(r'\1 tabindex="0">', page)
            return page, resources

    c = Config()
    c.Exporter.optimistic_validation = True  # validate once after the preprocessors, not after each of the 12
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    return PackHTMLExporter(config=c, exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def publishable(nb):
    """``nb`` without stderr streams, in place: warnings stay in the executed notebook, not in the HTML."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


def render_html(nb, exporter, title: str = "", scrub: Callable[[str], str] = str) -> str:
    """The page of an executed notebook: outputs and narrative, no code, no stderr, no CDN."""
    body, _ = exporter.from_notebook_node(publishable(nb), resources={"metadata": {"name": title}} if title else None)
    return scrub(body)


def register_warm_engine() -> None:
    """Register a papermill engine that runs on a given kernel manager *and* client.

    Passing only ``km`` would make nbclient open (and leak) a new client per notebook, which
    costs a few tenths of a second each; reusing the client does not.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            km=None,
            kc=None,
            save_on_error=None,
            extra_metadata=None,
            **kwargs,
        ):
            if extra_metadata:
                nb_man.nb.metadata["observatory"] = extra_metadata
            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = kc
            try:
                return client.execute()
            except BaseException:
                if save_on_error:
                    nb_man.notebook_complete()
                    write_ipynb(nb_man.nb, save_on_error)
                raise

    papermill_engines.register(ENGINE, WarmKernelEngine)


def run_notebook(
    notebook: Path | str,
    executed: Path | str,
    parameters: Mapping[str, Any],
    *,
    page: Path | str | None = None,
    title: str = "",
    kernel_name: str = "python3",
    exporter=None,
) -> Path | None:
    """Run ``notebook`` on a fresh kernel in its own folder into ``executed``; with ``page``, write its HTML there.

    For one-off outputs (the catalogue command, the benchmark's baseline); packs use warm kernels.
    Raises papermill's ``PapermillExecutionError`` when a cell fails. Returns ``page``.
    """
    import papermill as pm

    notebook, executed = Path(notebook), Path(executed)
    executed.parent.mkdir(parents=True, exist_ok=True)
    nb = pm.execute_notebook(
        str(notebook),
        str(executed),
        parameters=dict(parameters),
        progress_bar=False,
        cwd=str(notebook.parent),
        kernel_name=kernel_name,
    )
    if page is None:
        return None
    write_atomic(page, render_html(nb, exporter or html_exporter(), title))
    return Path(page)
