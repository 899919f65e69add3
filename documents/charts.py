"""Server-side SVG charts of the controlling dashboard (issue 17), drawn by pygal.

The CSP forbids inline script (app.py): pygal always writes a `<script>` with its tooltip config into
the SVG, so the element tree is rendered and every script element removed before serialising. The SVG
is shown as an image (`<img src=….svg>`), where no script would run anyway; a text table stands beside
every chart for screen readers.
"""
import sys
from xml.etree import ElementTree

import pygal
from pygal.style import Style

# pygal appends a legacy import hook (for its map plugins, unused here) to sys.meta_path; every later import
# that reaches it warns "find_spec() not found" (an error under the test suite). Take it out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

STYLE = Style(background="white", plot_background="white", font_family="DejaVu Sans, Arial, sans-serif",
              colors=("#1f5f8b", "#d9822b", "#4c9a2a", "#a33b3b", "#6b4c9a", "#2a9a8f", "#8b6f1f", "#5f5f5f",
                      "#c1447a", "#3b6fa3"),
              label_font_size=11, major_label_font_size=11, legend_font_size=11, title_font_size=14)
SVG = "{http://www.w3.org/2000/svg}"


def _config(title: str, y_title: str) -> dict:
    return {"title": title, "y_title": y_title, "style": STYLE, "js": [], "width": 800, "height": 400,
            "legend_at_bottom": True, "legend_at_bottom_columns": 3, "x_label_rotation": 30,
            "disable_xml_declaration": True, "show_minor_x_labels": True, "print_values": False,
            "value_formatter": _number, "truncate_legend": 30, "no_data_text": "Keine Daten (alles 0)"}


def _number(value) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}".replace(",", "’")


def _svg(chart) -> bytes:
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag in ("script", f"{SVG}script"):
                parent.remove(child)
    data = ElementTree.tostring(tree, encoding="utf-8")
    if b"<script" in data or b":script" in data:  # a pygal upgrade that writes script elsewhere must not pass
        raise RuntimeError("pygal wrote a script into the chart")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + data


def line(title: str, y_title: str, x_labels: list[str], series: list[tuple[str, list]]) -> bytes:
    """Time series, one line per series (e.g. per district and half-year)."""
    chart = pygal.Line(**_config(title, y_title))
    chart.x_labels = x_labels
    _add(chart, series)
    return _svg(chart)


def stacked_bar(title: str, y_title: str, x_labels: list[str], series: list[tuple[str, list]]) -> bytes:
    """Stacked columns (e.g. payout components per year, punctuality per half-year)."""
    chart = pygal.StackedBar(**_config(title, y_title))
    chart.x_labels = x_labels
    _add(chart, series)
    return _svg(chart)


def _add(chart, series: list[tuple[str, list]]) -> None:
    """All zero is drawn as "Keine Daten" rather than an axis of rounded zeros."""
    if any(value for _name, values in series for value in values):
        for name, values in series:
            chart.add(name, values)
