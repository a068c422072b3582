"""The server-drawn SVG bar charts of daily counts."""

from __future__ import annotations

import pytest
from lxml import etree

from service.studio.charts import bar_chart
from service.studio.charts import nice_max


@pytest.mark.parametrize(("value", "top"), [
    pytest.param(0, 5, id="empty"), pytest.param(3, 5, id="small"), pytest.param(7, 10, id="ten"),
    pytest.param(11, 20, id="twenty"), pytest.param(51, 100, id="hundred"), pytest.param(1999, 2000, id="thousands"),
])
def test_axis_top_is_a_round_number(value, top):
    assert nice_max(value) == top


def test_bars_scale_to_the_axis_and_the_label_is_escaped():
    svg = bar_chart(["2026-12-01", "2026-12-02", "2026-12-03"], [0, 5, 10], label='Views <"x">')
    root = etree.fromstring(str(svg).encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    heights = [float(r.get("height")) for r in root.findall("s:rect", ns)]
    assert len(heights) == 2 and heights[1] == pytest.approx(2 * heights[0])  # zero days draw no bar
    assert root.get("role") == "img" and root.get("aria-label") == 'Views <"x">'
    assert root.find("s:title", ns).text == 'Views <"x">'


def test_days_and_values_must_match():
    with pytest.raises(ValueError, match="2 days but 1 values"):
        bar_chart(["2026-12-01", "2026-12-02"], [1], label="x")
