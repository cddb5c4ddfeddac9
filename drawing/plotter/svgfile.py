"""The SVG a pen plotter draws: page size in mm, one cubic path per stroke, an AxiDraw/Inkscape layer.

The document's user unit is the millimetre (`width="210mm" height="297mm" viewBox="0 0 210 297"`), so
coordinates and the stroke width read directly in mm. The square drawing is scaled to fit inside the
margins and centred on the page. Every stroke is one `<path d="M x,y C x,y x,y x,y ...">` with no
fill and the pen's width as stroke width, inside a group marked `inkscape:groupmode="layer"`: the
layer that Inkscape shows and AxiDraw's software (and saxi, and vpype) plots. The layer's label
starts with its number, so AxiDraw's "plot layer 1" selects it.
"""
import re
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from drawing.cli import UserError

PAGES_MM = {"a4": (210.0, 297.0), "a3": (297.0, 420.0), "letter": (215.9, 279.4)}
CUSTOM_PAGE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*x\s*(\d+(?:\.\d*)?)\s*mm\s*$", re.IGNORECASE)
INKSCAPE_NAMESPACE = "http://www.inkscape.org/namespaces/inkscape"
LAYER_LABEL = "1 strokes"


def parse_page(text):
    """(width, height) in mm of `A4`, `A3`, `letter` or `WxHmm` (e.g. `300x300mm`)."""
    if text.lower() in PAGES_MM:
        return PAGES_MM[text.lower()]
    match = CUSTOM_PAGE.match(text)
    if not match or min(float(match[1]), float(match[2])) <= 0:
        raise UserError(f"--page {text}: not a page size; use A4, A3, letter or WIDTHxHEIGHTmm (e.g. 300x200mm)")
    return float(match[1]), float(match[2])


def placement(canvas, page, margin):
    """(mm per canvas pixel, (x, y) of the canvas's corner in mm): the drawing fitted and centred."""
    width, height = page
    side = min(width, height) - 2 * margin
    if margin < 0 or side <= 0:
        raise UserError(f"--margin {margin:g}: leaves no room to draw on a {width:g} x {height:g} mm page "
                        f"(the margin must be under {min(width, height) / 2:g} mm)")
    return side / canvas, ((width - side) / 2, (height - side) / 2)


def to_page(points, canvas, page, margin):
    """Strokes from canvas pixels to page millimetres."""
    scale, corner = placement(canvas, page, margin)
    return np.asarray(points, dtype=np.float64) * scale + np.asarray(corner)


def path_data(stroke):
    """`M x,y C x,y x,y x,y ...` of one stroke's control points (in mm)."""
    coordinates = [f"{x:.3f},{y:.3f}" for x, y in stroke]
    segments = [" ".join(coordinates[index:index + 3]) for index in range(1, len(coordinates), 3)]
    return f"M {coordinates[0]} " + " ".join(f"C {segment}" for segment in segments)


def svg_document(strokes_mm, page, pen_width, colour="black", title="drawing"):
    """The SVG text of strokes already on the page (mm), in drawing order."""
    width, height = page
    paths = "\n".join(f'    <path d="{path_data(stroke)}"/>' for stroke in strokes_mm)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="{INKSCAPE_NAMESPACE}"\n'
        f'     width="{width:g}mm" height="{height:g}mm" viewBox="0 0 {width:g} {height:g}">\n'
        f'  <title>{escape(title)}</title>\n'
        f'  <g id="layer1" inkscape:groupmode="layer" inkscape:label={quoteattr(LAYER_LABEL)}\n'
        f'     fill="none" stroke={quoteattr(colour)} stroke-width="{pen_width:g}"'
        ' stroke-linecap="round" stroke-linejoin="round">\n'
        f"{paths}\n"
        "  </g>\n"
        "</svg>\n")
