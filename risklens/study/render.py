"""Rendering of report sections: one :class:`Section` type, drawn as HTML or Markdown.

Every text cell is escaped: ``html.escape`` in HTML, :func:`risklens.safety.md_escape` in Markdown,
so user-controlled names (cohort, features, labels, ids) can never become markup, links or scripts.
Numbers are formatted by :func:`fmt`; a missing number is shown as "—".
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from risklens.safety import md_escape

DASH = "—"
CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733;
line-height:1.4}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6dde5}
table{border-collapse:collapse;margin:.5rem 0;font-size:.88rem}th,td{border:1px solid #d6dde5;padding:.25rem .5rem;
text-align:left}th{background:#eef2f6}td.num{text-align:right;font-variant-numeric:tabular-nums}.cap{color:#56616e;
font-size:.85rem}.card{border:1px solid #c8d1da;border-radius:8px;padding:1rem;max-width:640px}
.prov{font-size:.8rem;color:#56616e}code{font-size:.85em}svg{display:block;margin:.5rem 0}"""
COLORS = ["#3a78b5", "#c0504d", "#4f9a55", "#8064a2", "#d08a2b", "#2aa1a6", "#777777"]


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list]
    caption: str = ""
    svg: str = ""  # optional inline figure (HTML only)
    extra: list[str] = field(default_factory=list)


def fmt(v, digits: int = 2) -> str:
    """A cell as text: numbers to ``digits`` (3 below 0.1), booleans yes/no, missing as "—"."""
    if v is None:
        return DASH
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return DASH
        return f"{v:.3f}" if 0 < abs(v) < 0.1 else f"{v:.{digits}f}"
    text = str(v)
    return DASH if text in ("", "None", "nan", "NaN") else text


def _is_num(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def section_html(s: Section) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in s.columns)
    cell = lambda v: f"<td{' class=num' if _is_num(v) else ''}>{html.escape(fmt(v))}</td>"  # noqa: E731
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in s.rows)
    cap = f'<p class="cap">{html.escape(s.caption)}</p>' if s.caption else ""
    extra = "".join(f'<p class="cap">{html.escape(e)}</p>' for e in s.extra)
    table = f"<table><tr>{head}</tr>{body}</table>" if s.rows else ""
    return f"<h2>{html.escape(s.title)}</h2>{table}{cap}{extra}{s.svg}"


def page_html(title: str, sections: Sequence[Section]) -> str:
    """One self-contained HTML page (inline CSS and SVG; no scripts, no external resources)."""
    body = "".join(section_html(s) for s in sections)
    t = html.escape(title)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{t}</title>'
            f"<style>{CSS}</style></head><body><h1>{t}</h1>{body}</body></html>")


def md_text(text) -> str:
    """User text inert in any Markdown renderer: markup escaped, angle brackets as entities (no raw HTML)."""
    return md_escape(text).replace("\\<", "&lt;").replace("\\>", "&gt;")


def _md_cell(v) -> str:
    return fmt(v) if _is_num(v) or v is None else md_text(fmt(v))


def page_markdown(title: str, sections: Sequence[Section]) -> str:
    """The same sections as Markdown tables (every text escaped)."""
    lines = [f"# {md_text(title)}", ""]
    for s in sections:
        lines += [f"## {md_text(s.title)}", ""]
        if s.rows:
            lines += ["| " + " | ".join(md_text(c) for c in s.columns) + " |", "|" + "---|" * len(s.columns)]
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in s.rows]
        lines += [x for text in ([s.caption] if s.caption else []) + list(s.extra) for x in ("", md_text(text))] + [""]
    return "\n".join(lines)


# ---- inline SVG ----------------------------------------------------------------------------------
def bars_svg(items: Sequence[tuple[str, float]], width: int = 360, label_width: int = 300) -> str:
    """Horizontal bars of shares in [0, 1] with full labels."""
    h = 18
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + width + 10}" height="{h * len(items) + 4}">']
    for i, (label, v) in enumerate(items):
        w = max(0.0, min(1.0, float(v or 0))) * width
        parts.append(f'<text x="0" y="{i * h + 13}" font-size="11">{html.escape(str(label))}</text>'
                     f'<rect x="{label_width}" y="{i * h + 3}" width="{w:.1f}" height="{h - 6}" fill="#3a78b5"/>')
    parts.append("</svg>")
    return "".join(parts)


def curve_svg(title: str, series: Sequence[tuple[str, list, bool]], w: int = 340, h: int = 180) -> str:
    """One small chart: lines over x in [0, 1] (name, ys, dashed); a legend line under the title."""
    ys_all = [y for _, ys, _ in series for y in ys if y is not None]
    if not ys_all:
        return ""
    top = max(ys_all) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">'
           f'<text x="4" y="12" font-size="11" font-weight="bold">{html.escape(title)}</text>'
           f'<line x1="30" y1="{h - 20}" x2="{w - 10}" y2="{h - 20}" stroke="#999"/>'
           f'<line x1="30" y1="30" x2="30" y2="{h - 20}" stroke="#999"/>'
           f'<text x="30" y="{h - 6}" font-size="10">0</text><text x="{w - 20}" y="{h - 6}" font-size="10">1</text>'
           f'<text x="2" y="34" font-size="10">{top:.2f}</text>']
    legend = []
    for i, (name, ys, dashed) in enumerate(series):
        if len(ys) < 2:
            continue
        color = "#999999" if dashed else COLORS[i % len(COLORS)]
        pts = " ".join(f"{30 + j / (len(ys) - 1) * (w - 40):.1f},{h - 20 - (y or 0) / top * (h - 50):.1f}"
                       for j, y in enumerate(ys))
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{pts}"/>')
        legend.append(f'<tspan fill="{color}">{html.escape(name)}</tspan>')
    out.append(f'<text x="4" y="25" font-size="10">{"  ".join(legend)}</text></svg>')
    return "".join(out)
