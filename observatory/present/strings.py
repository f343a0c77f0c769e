"""Pages are made with pandas' text columns held as Python strings.

pandas keeps its ``str`` dtype in Arrow arrays by default, which suits bulk work (ingest, national
aggregation) but not a page's: a few hundred small selections and cell-by-cell reads, where each Arrow call
costs tens of microseconds (about 30 ms of a locality profile's 240 here). Inside a page's making, new text
columns and the tables a page loads are stored as Python strings instead. It is still the ``str`` dtype,
with missing values NaN, so the figures, tables and files are the same; the user's own pandas settings
are left as they were outside it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

STORAGE = "python"
T = TypeVar("T")


def python_strings(obj: T) -> T:
    """Run a function, or each public method (and ``__post_init__``) of a class, with text stored as Python
    strings (``mode.string_storage``); decorate a dataclass above ``@dataclass``."""
    if isinstance(obj, type):
        for name, member in list(vars(obj).items()):
            if inspect.isfunction(member) and (not name.startswith("_") or name == "__post_init__"):
                setattr(obj, name, python_strings(member))
        return obj
    return _wrapped(obj)  # type: ignore[arg-type]


def _wrapped(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with pd.option_context("mode.string_storage", STORAGE):
            return function(*args, **kwargs)

    return run
