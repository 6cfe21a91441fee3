"""Small server-side SVG bar charts for the SLA board: no JavaScript, no CDN. No Django."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD, LABEL_H = 420, 160, 24, 28


def bar_chart(title: str, bars: list[tuple[str, float | None]], *, unit: str = "",
              max_value: float | None = None, colour: str = "#447e9b",
              label_every: int = 1) -> str:
    """An inline <svg> of vertical bars; a None value is a gap (no data that day)."""
    values = [v for _, v in bars if v is not None]
    top = max_value if max_value is not None else max(values, default=0) or 1
    plot_h = HEIGHT - PAD - LABEL_H
    slot = (WIDTH - 2 * PAD) / max(len(bars), 1)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<text x="{PAD}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{PAD}" y1="{PAD + plot_h}" x2="{WIDTH - PAD}" y2="{PAD + plot_h}" '
             f'stroke="#999"/>']
    for i, (label, value) in enumerate(bars):
        x = PAD + i * slot
        if value is not None:
            h = max(plot_h * min(value / top, 1.0), 1)
            shown = f"{value:.0f}{unit}" if unit != "%" else f"{value * 100:.0f}%"
            parts.append(f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{PAD + plot_h - h:.1f}" '
                         f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{colour}">'
                         f'<title>{escape(label)}: {escape(shown)}</title></rect>')
            if len(bars) <= 12:  # few bars: print the value on top; many: the tooltip has it
                parts.append(f'<text x="{x + slot / 2:.1f}" y="{PAD + plot_h - h - 3:.1f}" '
                             f'font-size="10" text-anchor="middle">{escape(shown)}</text>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 8}" font-size="10" '
                         f'text-anchor="middle">{escape(label)}</text>')
    if not values:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="12" '
                     f'text-anchor="middle" fill="#666">no data yet</text>')
    parts.append("</svg>")
    return "".join(parts)
