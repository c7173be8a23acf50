"""One HTTP exchange with Lettr's API through a ``requests`` session's pooled adapter.

``Session.request`` spends more CPU than the rest of a send put together (merging settings,
cookies, hooks, the environment) on work this client never needs: the URL is ours, the body
is ready bytes and the headers are fixed. So a request goes straight to the session's adapter;
and when that adapter is requests' own ``HTTPAdapter`` and no proxy is involved, straight to
the adapter's urllib3 connection pool, skipping the ``Response`` and cookie-jar building too.
Pooling, TLS verification and the session's mounts are always the session's; a replaced
adapter (a custom one, or a test double such as ``responses``) always gets the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

#: requests' own adapter ``send``, to tell it from a replacement (a test double patches it)
_STOCK_SEND = HTTPAdapter.send


@dataclass
class HttpAnswer:
    """The parts of an HTTP answer the API transport reads."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    reason: str = ""

    @property
    def text(self) -> str:
        """The body as text (UTF-8, errors replaced)."""
        return self.content.decode("utf-8", "replace")


def connection_settings(session: requests.Session, url: str) -> dict[str, Any]:
    """Proxies, CA bundle and client certificate for ``url``, as ``requests`` would choose.

    The session's own settings, then (with ``trust_env``) the environment's
    ``HTTPS_PROXY``/``NO_PROXY`` and ``REQUESTS_CA_BUNDLE``. No ``.netrc`` is consulted: the
    ``Authorization`` header is always the API key.
    """
    merged = session.merge_environment_settings(url, {}, None, None, None)
    verify = merged.get("verify")
    return {
        "verify": True if verify is None else verify,
        "cert": merged.get("cert"),
        "proxies": merged.get("proxies") or {},
    }


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    headers: Mapping[str, str],
    data: bytes | None,
    timeout: tuple[float, float],
    settings: Mapping[str, Any],
) -> HttpAnswer | requests.Response:
    """Send one request; raise a ``requests`` exception when no answer came."""
    merged: dict[str, Any] = {**session.headers, **headers}
    if data is not None:
        merged["Content-Length"] = str(len(data))
    adapter = session.get_adapter(url)
    if (
        type(adapter).send is _STOCK_SEND
        and not settings["proxies"]
        and hasattr(adapter, "get_connection_with_tls_context")
    ):
        return _through_pool(adapter, method, url, merged, data, timeout, settings)  # type: ignore[arg-type]
    prepared = requests.PreparedRequest()
    prepared.method = method
    prepared.url = url
    prepared.headers = CaseInsensitiveDict(merged)
    prepared.body = data
    prepared.hooks = {"response": []}
    return adapter.send(
        prepared,
        timeout=timeout,
        verify=settings["verify"],
        cert=settings["cert"],
        proxies=settings["proxies"],
    )


def _through_pool(
    adapter: HTTPAdapter,
    method: str,
    url: str,
    headers: dict[str, Any],
    data: bytes | None,
    timeout: tuple[float, float],
    settings: Mapping[str, Any],
) -> HttpAnswer:
    target = requests.PreparedRequest()
    target.url = url
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        pool = cast(HTTPConnectionPool, adapter.get_connection_with_tls_context(
            target, settings["verify"], proxies={}, cert=settings["cert"]
        ))
        adapter.cert_verify(pool, url, settings["verify"], settings["cert"])
        response = pool.urlopen(
            method=method,
            url=path or "/",
            body=data,
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
            decode_content=True,
            retries=adapter.max_retries,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
        )
    except (HTTPError, OSError) as exc:
        raise _as_requests_error(exc) from exc
    return HttpAnswer(response.status, response.headers, response.data, response.reason or "")


def _as_requests_error(exc: BaseException) -> requests.RequestException:
    """The exception ``HTTPAdapter.send`` would have raised for this urllib3 failure."""
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    if isinstance(reason, ConnectTimeoutError):
        return requests.exceptions.ConnectTimeout(exc)
    if isinstance(reason, Urllib3SSLError):
        return requests.exceptions.SSLError(exc)
    if isinstance(reason, ReadTimeoutError):
        return requests.exceptions.ReadTimeout(exc)
    return requests.exceptions.ConnectionError(exc)
