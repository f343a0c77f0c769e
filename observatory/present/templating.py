"""The ONE way HTML is made: autoescaped Jinja2 templates from the package's resources.

Templates live in ``observatory/resources/templates``: ``base.html.j2`` (the page every standalone output
extends) and ``_banner.html.j2`` (the one synthetic-data banner). Python code passes values, never markup;
a value that is already safe HTML (a chart's SVG) is wrapped in :class:`markupsafe.Markup` by its maker.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from observatory._core.resources import resource, template_bytecode_cache

__all__ = ["Markup", "environment", "file_links", "render", "render_macro"]


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja's environment, reading ``row.field`` of a plain dict as ``row["field"]`` straight away.

    Jinja first asks the dict for an attribute of that name, which fails (an exception each time) unless
    the name is one of dict's own, and only then looks the key up: charts read tens of thousands of
    fields a page that way. The answer is the same: a dict's own attributes still come first."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment: autoescaped, strict about undefined names, trimmed blocks."""
    return _Environment(
        loader=jinja2.FileSystemLoader(str(resource("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=template_bytecode_cache("observatory"),
    )


def render(template: str, **context: Any) -> Markup:
    """Render ``template`` (a file name in the templates folder) with ``context``; the result is safe HTML."""
    return Markup(environment().get_template(template).render(**context))


def render_macro(template: str, macro: str, *args: Any, **kwargs: Any) -> Markup:
    """Call one macro of a template (a fragment: a banner, a table) and return its HTML."""
    module = environment().get_template(template).module
    return Markup(getattr(module, macro)(*args, **kwargs))


def file_links(files, href_prefix: str = "../downloads/", label: str = "Downloads") -> Markup:
    """Links to the files a page wrote (``href_prefix`` + file name), for a notebook's last cell."""
    return render_macro("_links.html.j2", "links", label, [(f"{href_prefix}{Path(f).name}", Path(f).name) for f in files])
