"""P1 through ``ApiTransport.send_many`` under variations: ``python -m benchmarks.whatif``.

Reproduces the profiling findings without touching lettr_core: the same 2,000 distinct
messages sent with requests (the shipped session) or with a urllib3-backed stand-in injected
through ``ApiTransport(session=...)``; with ``MAX_WORKERS`` 1 and 8; and with ``RATE_LIMIT``
unset (the limiter starts at Lettr's 3/s until the first answer reports the stub's limit) or
set high (no start-up pacing).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from .scenarios import SCENARIOS, SENDER, message_data
from .senders import FAKE_KEY
from .targets import Targets


class _Urllib3Response:
    """The few attributes of ``requests.Response`` that ApiTransport reads."""

    __slots__ = ("content", "headers", "reason", "status_code")

    def __init__(self, response: Any) -> None:
        self.status_code = response.status
        self.headers = response.headers
        self.content = response.data
        self.reason = response.reason

    @property
    def text(self) -> str:
        return bytes(self.content).decode("utf-8", "replace")


class Urllib3Session:
    """A ``requests.Session`` stand-in on a bare urllib3 pool (no prepare/merge/hooks)."""

    def __init__(self, maxsize: int = 10) -> None:
        import urllib3

        self._urllib3 = urllib3
        self.pool = urllib3.PoolManager(maxsize=maxsize, retries=False)

    def request(self, method: str, url: str, data: bytes | None = None,
                headers: dict[str, str] | None = None,
                timeout: tuple[float, float] = (10.0, 30.0)) -> _Urllib3Response:
        response = self.pool.request(
            method, url, body=data, headers=headers, redirect=False, retries=False,
            timeout=self._urllib3.Timeout(connect=timeout[0], read=timeout[1]),
        )
        return _Urllib3Response(response)

    def close(self) -> None:
        self.pool.clear()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2)
    n = parser.parse_args(argv).n
    repeat = parser.parse_args(argv).repeat

    import lettr_core
    from lettr_core.api import ApiTransport

    items = message_data(SCENARIOS["P1"], n)
    with Targets(smtp=False) as targets:
        for _ in range(repeat):
            for http in ("requests", "urllib3"):
                for workers in (1, 8):
                    for rate in (None, 100_000):
                        targets.configure()
                        emails = [lettr_core.Email(from_email=SENDER, to=[i["to"]],
                                                   subject=i["subject"], text=i["text"],
                                                   html=i["html"]) for i in items]
                        config = lettr_core.LettrConfig.from_mapping({
                            "API_KEY": FAKE_KEY, "API_URL": targets.base_url + "/api",
                            "MAX_WORKERS": workers, "RATE_LIMIT": rate,
                        })
                        session = Urllib3Session() if http == "urllib3" else None
                        t0, c0 = time.perf_counter(), time.process_time()
                        transport = ApiTransport(config, session=session)  # type: ignore[arg-type]
                        outcomes = transport.send_many(emails)
                        transport.close()
                        if session is not None:
                            session.close()
                        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                        sent = sum(1 for o in outcomes if getattr(o, "accepted", 0))
                        print(f"{http:<8} MAX_WORKERS={workers} RATE_LIMIT={rate!s:<6}: "
                              f"{n / wall:6.0f} msgs/s {cpu * 1e6 / n:5.0f} µs CPU/msg "
                              f"({sent} sent, {targets.stats()['requests']} requests)")


if __name__ == "__main__":
    main()
