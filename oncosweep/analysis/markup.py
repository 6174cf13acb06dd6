"""HTML building blocks of the report: the style sheet, escaping, number formats, tables
(also of result datasets, one row per group) and figures embedded as PNG data URIs.

Everything here returns text that is safe to paste into the page: values are escaped, and a
figure is inlined (no external URL), so the report stays one self-contained file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from oncosweep.analysis import _data
from oncosweep.analysis.selection import plain, short_name

__all__ = ["STYLE", "ReportFigure", "days", "escape", "figure_html", "group_rows",
           "html_table", "label", "missing", "num", "plus_minus", "png", "row_dims"]

#: the report's style sheet (inlined in a ``<style>`` element)
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc;
     padding-bottom: .2rem; margin-top: 2rem; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: right; }
th { background: #f2f2f2; } td.text, th.text { text-align: left; }
tr.tied td { background: #fff6d6; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: .6rem; overflow: auto;
      font-size: .8rem; max-height: 40rem; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%; height: auto;
         border: 1px solid #eee; } figcaption { font-size: .85rem; color: #444; }
p.missing { color: #8a5a00; background: #fff8e6; border-left: 4px solid #e0a800;
            padding: .3rem .6rem; } p.note { font-size: .85rem; color: #444; }
nav ul { columns: 2; font-size: .9rem; }
"""


@dataclass(frozen=True)
class ReportFigure:
    """A figure of the report: its anchor, title and caption, and the PNG (None with the
    reason it is ``missing``)."""

    anchor: str
    title: str
    caption: str
    png: bytes | None
    missing: str | None = None


def escape(value: Any) -> str:
    """``value`` as HTML text (quotes escaped too, so it also fits in an attribute)."""
    return html.escape(str(value), quote=True)


def num(value: Any, *, digits: int = 3, nan: str = "–") -> str:
    """A number to ``digits`` significant digits (``nan`` for NaN and infinities)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(number):
        return nan
    if number != 0 and (abs(number) >= 1e5 or abs(number) < 1e-3):
        return f"{number:.{digits}g}"
    return f"{number:.{digits}g}" if abs(number) < 1 else f"{number:,.{max(digits - 2, 0)}f}"


def plus_minus(value: Any, se: Any) -> str:
    """``value ± se`` with the decimals that show two significant digits of ``se``."""
    value, se = float(value), float(se)
    if not np.isfinite(value):
        return "–"
    if not np.isfinite(se) or se <= 0:
        decimals = 1 if abs(value) >= 1 else 3
    else:
        decimals = int(min(max(1 - np.floor(np.log10(se)), 0), 6))
    return f"{value:.{decimals}f} ± {se:.{decimals}f}" if np.isfinite(se) else \
        f"{value:.{decimals}f}"


def days(value: Any, nan: str = "–") -> str:
    """A time in whole days (``nan`` when not finite, e.g. a median not reached)."""
    number = float(value)
    return f"{number:.0f}" if np.isfinite(number) else nan


def html_table(header: list[str], rows: list[list[str]], *, text_columns: int = 1,
               row_classes: list[str] | None = None) -> str:
    """An HTML table; cells are escaped here. The first ``text_columns`` are left-aligned."""
    def cell(tag: str, i: int, value: str) -> str:
        css = ' class="text"' if i < text_columns else ""
        return f"<{tag}{css}>{escape(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        css = f' class="{escape(row_classes[r])}"' if row_classes and row_classes[r] else ""
        body.append(f"<tr{css}>" + "".join(cell("td", i, v) for i, v in enumerate(row))
                    + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def missing(text: str) -> str:
    """A highlighted note that a part of the report is not available, and why."""
    return f'<p class="missing">{escape(text)}</p>'


def group_rows(table: Any, dims: list[str], columns: list[tuple[str, Callable[[Any], str]]]
               ) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a result dataset over the group ``dims``: one row per group."""
    header = [short_name(dim) for dim in dims] + [title for title, _ in columns]
    rows = []
    for index in _data.group_indices(tuple(table.sizes[d] for d in dims)):
        at = dict(zip(dims, index, strict=True))
        one = table.isel(at)
        labels = [label(one[dim].values) if dim in one.coords else str(i)
                  for dim, i in zip(dims, index, strict=True)]
        rows.append(labels + [render(one) for _, render in columns])
    return header, rows


def label(value: Any) -> str:
    """A coordinate value as a table label (floats in ``:g`` format)."""
    value = plain(np.asarray(value).reshape(-1)[0])
    return f"{value:g}" if isinstance(value, float) else str(value)


def row_dims(table: Any, name: str) -> list[str]:
    """The group dims of variable ``name``, sweep axes first and ``strategy`` last (rows
    grouped by sweep point)."""
    dims = [d for d in table[name].dims if d != "outcome"]
    return [d for d in dims if d != "strategy"] + [d for d in dims if d == "strategy"]


def png(fig: Any, *, dpi: int) -> bytes:
    """A matplotlib figure as PNG bytes (without a ``Software`` tag); closes the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        plt.close(fig)
    return buffer.getvalue()


def figure_html(figure: ReportFigure) -> str:
    """A figure's heading and ``<figure>`` with the PNG inlined as a base64 data URI, or
    its heading and why it is missing."""
    head = f'<h3 id="{escape(figure.anchor)}">{escape(figure.title)}</h3>'
    if figure.png is None:
        return head + missing(figure.missing or "not available")
    data = base64.b64encode(figure.png).decode("ascii")
    return (f"{head}<figure><img class=\"figure\" alt=\"{escape(figure.title)}\" "
            f"src=\"data:image/png;base64,{data}\"><figcaption>{escape(figure.caption)}"
            "</figcaption></figure>")
