"""The report's arithmetic (ratios, target checks) and the README refresh, on made-up rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.report import (
    README_END,
    README_START,
    Row,
    check_targets,
    machine,
    ratio,
    update_readme,
)


def _row(scenario: str, sender: str, n: int, wall: float, delivered: int, **kw: float) -> Row:
    row = Row(scenario, sender, "ok", n=n, wall_s=wall, delivered=delivered,
              lost=n - delivered, requests=int(kw.pop("requests", n)))
    for name, value in kw.items():
        setattr(row, name, value)
    return row


def test_p1_ratio_is_delivered_messages_per_second() -> None:
    rows = [_row("P1", "django-anymail", 100, 1.0, 100), _row("P1", "lettr_django", 100, 0.5, 100)]
    assert ratio(rows, rows[1], "django-anymail") == pytest.approx(2.0)
    assert ratio(rows, rows[1], "lettr-sdk") is None  # no SDK row: no ratio


def test_p3_ratio_is_the_share_delivered() -> None:
    peer = _row("P3", "django-anymail", 300, 0.3, 6)  # fast, but loses 98%
    ours = _row("P3", "lettr_django", 300, 100.0, 300)
    assert ratio([peer, ours], ours, "django-anymail") == pytest.approx(50.0)


def test_p5_ratio_is_peer_growth_over_ours() -> None:
    peer = _row("P5", "lettr-sdk", 1, 0.1, 1, rss_growth=30)
    ours = _row("P5", "lettr_core", 1, 0.1, 1, rss_growth=10)
    assert ratio([peer, ours], ours, "lettr-sdk") == pytest.approx(3.0)


def test_targets_met_and_missed() -> None:
    rows = [
        _row("P1", "django-anymail", 100, 1.0, 100),
        _row("P1", "lettr-sdk", 100, 0.5, 100),
        _row("P1", "lettr_django", 100, 0.4, 100),  # 2.5x anymail, 1.25x SDK
        _row("P2", "lettr_core", 2000, 13.5, 2000, requests=40),  # limit 1.1 * 40/3 = 14.67 s
        _row("P2", "lettr_django", 2000, 15.0, 2000, requests=40),
        _row("P3", "lettr_core", 300, 100.0, 299, requests=300),  # one lost
        _row("P4", "lettr_core", 2000, 40.0, 2000),  # 50 req/s
    ]
    met = {(c.scenario, c.sender, c.target.split(" ")[1]): c.met for c in check_targets(rows)}
    assert met[("P1", "lettr_django", "1.8x")] is True
    assert met[("P1", "lettr_django", "1.0x")] is True
    assert met[("P2", "lettr_core", "14.7")] is True
    assert met[("P2", "lettr_django", "14.7")] is False
    assert met[("P3", "lettr_core", "2.85")] is False
    assert met[("P4", "lettr_core", "45")] is True


def test_readme_block_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{README_START}\nold\n{README_END}\n\nafter\n")
    rows = [_row("P1", "lettr_core", 10, 1.0, 10), Row("P1", "lettr_flask", "n/a (x)")]
    assert update_readme(readme, rows, {"machine": machine()})
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n") and text.endswith("\n\nafter\n")
    assert "old" not in text and "| P1 | lettr_core | 10 |" in text
    assert "lettr_flask" not in text  # rows that did not run stay in RESULTS.md only


def test_readme_without_markers_is_left_alone(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    assert not update_readme(readme, [], {"machine": machine()})
    assert readme.read_text() == "# Title\n"
