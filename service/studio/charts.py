"""
charts.py
---------

Daily counts drawn as small SVG bar charts on the server: no chart library
to vendor, nothing to run in the browser, readable on a phone and by a
screen reader (the SVG has a title and the numbers are in a table beside
it). Pure: values in, markup out.
"""

from __future__ import annotations

from markupsafe import Markup
from markupsafe import escape

WIDTH = 720
HEIGHT = 180
PAD_LEFT = 40
PAD_BOTTOM = 22
PAD_TOP = 10


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 5): the axis top."""
    power = 1
    while True:
        for m in (1, 2, 5):
            if m * power >= max(value, 5):
                return m * power
        power *= 10


def bar_chart(days: list[str], values: list[int], *, label: str, colour: str = "#1d5b79") -> Markup:
    """An SVG bar chart of one count per day, with its axis top and first/last dates written on it.

    Parameters
    ----------
    days : list of str
      ISO dates, oldest first.
    values : list of int
      One count per day.
    label : str
      What the chart shows, for its <title> (read by screen readers).
    """
    if len(days) != len(values):
        raise ValueError(f"bar_chart: {len(days)} days but {len(values)} values")
    top = nice_max(max(values, default=0))
    inner_w = WIDTH - PAD_LEFT - 4
    inner_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, len(values))
    bars = []
    for i, v in enumerate(values):
        h = inner_h * v / top
        x = PAD_LEFT + i * step
        y = PAD_TOP + inner_h - h
        if v:
            bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - 1, 1):.1f}" height="{h:.1f}" '
                        f'fill="{colour}"><title>{escape(days[i])}: {v}</title></rect>')
    base = PAD_TOP + inner_h
    first, last = (escape(days[0]), escape(days[-1])) if days else ("", "")
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title>{escape(label)}</title>'
        f'<line x1="{PAD_LEFT}" y1="{base}" x2="{WIDTH - 4}" y2="{base}" stroke="#555"/>'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{WIDTH - 4}" y2="{PAD_TOP}" stroke="#ddd"/>'
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end" font-size="12" fill="#333">{top}</text>'
        f'<text x="{PAD_LEFT - 6}" y="{base}" text-anchor="end" font-size="12" fill="#333">0</text>'
        + "".join(bars) +
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}" font-size="12" fill="#333">{first}</text>'
        f'<text x="{WIDTH - 4}" y="{HEIGHT - 6}" text-anchor="end" font-size="12" fill="#333">{last}</text>'
        '</svg>'
    )
    return Markup(svg)
