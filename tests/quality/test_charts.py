import re

from slawatch.quality.charts import bar_chart


def test_bars_scale_to_the_largest_value_and_gaps_stay_empty():
    svg = bar_chart("Breaches", [("Ann", 4), ("Bob", 2), ("Cy", None)])
    heights = [float(h) for h in re.findall(r'class="bar"[^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 2 and heights[0] == 2 * heights[1]
    assert ">4<" in svg and ">2<" in svg


def test_labels_are_escaped():
    svg = bar_chart("<b>t</b>", [("<script>alert(1)</script>", 1)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_an_empty_chart_says_so():
    assert "no data yet" in bar_chart("Speed", [("Hot", None)])


def test_fractions_are_shown_as_percent():
    assert ">75%<" in bar_chart("Compliance", [("Mon", 0.75)], unit="%", max_value=1.0)
