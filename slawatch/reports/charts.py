"""Inline SVG bar charts for the reports dashboard, drawn on the server: no JavaScript,
no CDN (deployments may have no internet). Pure functions, no Django."""

from __future__ import annotations

from html import escape

COLOURS = ("#447e9b", "#e0a030", "#7a9e3e", "#b04a4a")
WIDTH, LABEL_W, BAR_H, GAP, TOP = 640, 180, 12, 8, 36


def _shown(value, percent):
    if value is None:
        return "-"
    return f"{value * 100:.1f}%" if percent else f"{value:,.2f}".rstrip("0").rstrip(".")


def grouped_bars(title: str, labels: list[str], series: dict[str, list[float | None]], *,
                 percent: bool = False) -> str:
    """Horizontal bars, one group per label and one bar per series; None draws no bar.

    Percent series are fractions 0-1 drawn against 100 %; others against their maximum.
    """
    values = [v for vs in series.values() for v in vs if v is not None]
    top = 1.0 if percent else (max(values, default=0) or 1)
    plot_w = WIDTH - LABEL_W - 70
    group_h = len(series) * BAR_H + GAP
    height = TOP + max(len(labels), 1) * group_h + 10
    parts = [f'<svg class="report-chart" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<text x="4" y="14" font-size="13" font-weight="bold">{escape(title)}</text>']
    parts += _legend(series)
    for i, label in enumerate(labels):
        y = TOP + i * group_h
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + group_h / 2:.1f}" font-size="11" '
                     f'text-anchor="end">{escape(label[:28])}</text>')
        for j, (name, vs) in enumerate(series.items()):
            parts.append(_bar(y + j * BAR_H, vs[i], top, plot_w, COLOURS[j % len(COLOURS)],
                              f"{label} - {name}", percent))
    if not labels:
        parts.append(f'<text x="{WIDTH / 2}" y="{TOP + 10}" font-size="12" text-anchor="middle" '
                     f'fill="#666">no data in this range</text>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(series):
    parts = []
    for j, name in enumerate(series):
        x = LABEL_W + j * 170
        parts.append(f'<rect x="{x}" y="20" width="10" height="10" '
                     f'fill="{COLOURS[j % len(COLOURS)]}"/>'
                     f'<text x="{x + 14}" y="29" font-size="11">{escape(name)}</text>')
    return parts


def _bar(y, value, top, plot_w, colour, title, percent):
    if value is None:
        return ""
    w = max(plot_w * min(float(value) / top, 1.0), 1)
    shown = escape(_shown(float(value), percent))
    return (f'<rect class="bar" x="{LABEL_W}" y="{y:.1f}" width="{w:.1f}" height="{BAR_H - 2}" '
            f'fill="{colour}"><title>{escape(title)}: {shown}</title></rect>'
            f'<text x="{LABEL_W + w + 4:.1f}" y="{y + BAR_H - 3:.1f}" font-size="10">{shown}</text>')
