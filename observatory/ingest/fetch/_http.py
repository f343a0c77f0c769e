"""The HTTP transport the download clients share: a User-Agent, retries with backoff, and a replaceable opener."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TypedDict

USER_AGENT = "observatory/0.1 (county research observatory; open-data download; Python urllib)"
Opener = Callable[[str, "bytes | None", float], bytes]
"""A transport: ``opener(url, body, timeout) -> response bytes``; raises ``urllib.error.HTTPError`` on a status."""


class DownloadError(RuntimeError):
    """A download that failed after its retries, or an API that answered with an error."""


def urllib_opener(url: str, body: bytes | None = None, timeout: float = 60.0) -> bytes:
    """The default transport: urllib with a User-Agent; POSTs ``body`` form-encoded when given."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https URLs built here)
        return response.read()


def fetch(
    url: str,
    *,
    body: bytes | None = None,
    opener: Opener | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """GET (or POST ``body``) ``url``, retrying server errors (5xx), 429 and network failures with
    exponential backoff (``backoff``, 2×, 4× … seconds); client errors (4xx) fail at once."""
    opener = opener or urllib_opener
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            return opener(url, body, timeout)
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
            last = e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            last = e
        if attempt < retries:
            sleep(backoff * 2**attempt)
    raise DownloadError(f"{url}: failed after {retries + 1} attempts: {last}") from last


class Transport(TypedDict, total=False):
    """How a download client fetches, given as keywords to each of its calls: ``opener`` (a replay in tests),
    ``retries``, ``backoff`` (seconds before the first retry, doubled each time; the clients' default
    :data:`CLIENT_BACKOFF`) and ``sleep``."""

    opener: Opener | None
    retries: int
    backoff: float
    sleep: Callable[[float], None]


CLIENT_BACKOFF = 2.0


def fetch_with(url: str, transport: Transport, *, timeout: float, body: bytes | None = None) -> bytes:
    """:func:`fetch` with a client's transport keywords (backoff defaulting to :data:`CLIENT_BACKOFF`)."""
    return fetch(url, body=body, timeout=timeout, **{"backoff": CLIENT_BACKOFF, **transport})
