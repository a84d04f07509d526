"""The hand-written SVG charts: escaped labels, thinned curves, stable coordinates."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from clientwise.output.blocks import Point
from clientwise.plugins.reports.svg import (
    MAX_POINTS,
    bar_chart,
    curve_chart,
    stacked_bars,
    thin,
)


def test_thin_keeps_at_most_the_limit_the_last_point_and_group_changes():
    points = [Point(i / 1000, i / 1000, "a" if i < 700 else "b") for i in range(1, 1001)]
    kept = thin(points)
    assert len(kept) <= MAX_POINTS + 2
    assert kept[-1] == points[-1]
    assert points[699] in kept  # the first 'b'
    assert thin(points[:10]) == points[:10]


def test_curve_chart_is_valid_svg_with_runs_per_group_and_reference_lines():
    points = [Point(0.5, 0.9, "value_creator"), Point(1.0, 0.8, "value_destroyer")]
    svg = curve_chart(points, label="Whale <curve>", x_title="x & y", y_title="share",
                      hlines=[(1.0, "100%")], vlines=[(0.5, "<b>cut</b>")], marker=(points[0], "peak"))
    root = ET.fromstring(svg)
    assert root.get("viewBox") == "0 0 640 320" and root.get("aria-label") == "Whale <curve>"
    paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path")]
    assert [p.get("class") for p in paths] == ["curve g-value_creator", "curve g-value_destroyer"]
    assert paths[0].get("d") == "M56 280 L340 42.4"  # x: 56 + 0.5 * 568; y: 16 + 0.1 * 264
    assert "&lt;b&gt;cut&lt;/b&gt;" in svg and "<b>" not in svg
    assert svg == curve_chart(points, label="Whale <curve>", x_title="x & y", y_title="share",
                              hlines=[(1.0, "100%")], vlines=[(0.5, "<b>cut</b>")], marker=(points[0], "peak"))


def test_bar_charts_scale_to_the_largest_and_escape_labels():
    svg = bar_chart([("red", 240.0, "240", "bad"), ("<x>", 60.0, "60", "a b"), ("none", 30.0, "30", None)], label="bands")
    widths = [float(w) for w in re.findall(r'class="bar[^"]*" x="150" y="\d+" width="([\d.]+)"', svg)]
    assert widths == [410.0, 102.5, 51.2]
    assert "&lt;x&gt;" in svg and 'class="bar t-bad"' in svg and 'class="bar t-a_b"' in svg and 'class="bar" x' in svg
    ET.fromstring(svg)
    stacked = stacked_bars([("C1 <evil>", [("Visits", 100.0), ("Orders", 300.0)])], label="costs")
    ET.fromstring(stacked)
    assert "<title>Orders: 300</title>" in stacked and "C1 &lt;evil&gt;" in stacked
    shown = stacked_bars([("C1", [("Visits", 0.25)])], label="shares", number=lambda v: f"{v:.0%} <")
    assert "<title>Visits: 25% &lt;</title>" in shown


def test_curve_runs_are_coloured_by_their_groups_tone():
    points = [Point(0.5, 0.9, "value_creator"), Point(1.0, 0.8, "value_destroyer")]
    svg = curve_chart(points, label="Whale", x_title="x", y_title="y",
                      tones={"value_creator": "good", "value_destroyer": "bad"})
    classes = [p.get("class") for p in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}path")]
    assert classes == ["curve g-value_creator t-good", "curve g-value_destroyer t-bad"]
