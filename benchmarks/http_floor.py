"""What one POST costs with each HTTP client, against the stub: ``python -m benchmarks.http_floor``.

The floor under any sender: the same pre-encoded Lettr body posted N times on one keep-alive
connection with requests (``Session.request`` and ``Session.send`` of a pre-prepared request),
urllib3 directly, ``http.client``, and httpx when installed. Prints wall and CPU µs per
request, so the cost of a library's own work can be told apart from its HTTP client's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from collections.abc import Callable

from .targets import Targets

_HEADERS = {
    "Authorization": "Bearer lttr_" + "0" * 64,
    "Content-Type": "application/json",
    "Accept": "application/json",
    "User-Agent": "bench",
}
_BODY = json.dumps({
    "from": "shop@bench.example.com", "from_name": "Bench Shop",
    "to": ["customer1@bench.example.com"], "subject": "Your order #100001 has shipped",
    "text": "Hello customer 1,\n\nOrder #100001 is on its way.\n" * 6,
    "html": "<html><body>" + "<p>Parcel 1 left the warehouse.</p>" * 20 + "</body></html>",
}, separators=(",", ":")).encode()


def _time(label: str, n: int, one: Callable[[], object]) -> None:
    for _ in range(50):
        one()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        one()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {label:<44} {wall * 1e6 / n:7.0f} µs wall {cpu * 1e6 / n:7.0f} µs CPU")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=2000)
    n = parser.parse_args(argv).n
    with Targets(smtp=False) as targets:
        targets.configure()
        url = targets.base_url + "/api/emails"
        print(f"one POST /emails of {len(_BODY)} bytes, n={n}, keep-alive:")

        import requests

        session = requests.Session()
        _time("requests Session.request", n,
              lambda: session.request("POST", url, data=_BODY, headers=_HEADERS).content)
        prepared = session.prepare_request(
            requests.Request("POST", url, data=_BODY, headers=_HEADERS))
        _time("requests Session.send(prepared)", n, lambda: session.send(prepared).content)
        session.close()

        import urllib3

        pool = urllib3.HTTPConnectionPool("127.0.0.1", targets.http_port, maxsize=1)
        _time("urllib3 HTTPConnectionPool.urlopen", n, lambda: pool.urlopen(
            "POST", "/api/emails", body=_BODY, headers=_HEADERS).data)
        joined = dict(_HEADERS, **{"Content-Length": str(len(_BODY))})

        conn = http.client.HTTPConnection("127.0.0.1", targets.http_port)

        def raw() -> bytes:
            conn.request("POST", "/api/emails", body=_BODY, headers=joined)
            return conn.getresponse().read()

        _time("http.client (headers and body: 2 sends)", n, raw)
        conn.close()

        try:
            import httpx
        except ImportError:
            return
        client = httpx.Client()
        _time("httpx Client.post", n, lambda: client.post(url, content=_BODY,
                                                          headers=_HEADERS).content)
        client.close()


if __name__ == "__main__":
    main()
