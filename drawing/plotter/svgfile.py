"""The SVG a pen plotter draws: page size in mm, one cubic path per stroke, an AxiDraw/Inkscape layer.

The document's user unit is the millimetre (`width="210mm" height="297mm" viewBox="0 0 210 297"`), so
coordinates and the stroke width read directly in mm. The square drawing is scaled to fit inside the
margins and centred on the page. Every stroke is one `<path d="M x,y C x,y x,y x,y ...">` with no
fill and the pen's width as stroke width, inside a group marked `inkscape:groupmode="layer"`: the
layer that Inkscape shows and AxiDraw's software (and saxi, and vpype) plots. The layer's label
starts with its number, so AxiDraw's "plot layer 1" selects it. A drawing in several pens has one
layer per pen, each in its pen's colour, plotted one layer at a time with a pen change in between.
"""
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import ImageColor

from drawing.errors import UserError

PAGES_MM = {"a4": (210.0, 297.0), "a3": (297.0, 420.0), "letter": (215.9, 279.4)}
CUSTOM_PAGE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*x\s*(\d+(?:\.\d*)?)\s*mm\s*$", re.IGNORECASE)
INKSCAPE_NAMESPACE = "http://www.inkscape.org/namespaces/inkscape"
LAYER_LABEL = "1 strokes"
# AxiDraw pauses between layers for the pen change; more pens than this is a mistake, not a drawing.
MAX_PENS = 8
# Pens are separated by commas, except the commas inside a colour such as rgb(26,43,140).
PEN_SEPARATOR = re.compile(r",(?![^(]*\))")


@dataclass(frozen=True)
class Pen:
    """A pen: its colour as the user wrote it (`black`, `#1a2b8c`), and as RGB 0 to 255."""
    name: str
    rgb: tuple

    @property
    def hex(self):
        """The colour as the SVG writes it, `#rrggbb`."""
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


def parse_page(text):
    """(width, height) in mm of `A4`, `A3`, `letter` or `WxHmm` (e.g. `300x300mm`)."""
    if text.lower() in PAGES_MM:
        return PAGES_MM[text.lower()]
    match = CUSTOM_PAGE.match(text)
    if not match or min(float(match[1]), float(match[2])) <= 0:
        raise UserError(f"--page {text}: not a page size; use A4, A3, letter or WIDTHxHEIGHTmm (e.g. 300x200mm)")
    return float(match[1]), float(match[2])


def parse_pens(text):
    """The `Pen`s of `--pens`: colours PIL understands (names, #rgb, #rrggbb, rgb(...)), separated by commas."""
    names = [name.strip() for name in PEN_SEPARATOR.split(text)]
    if len(names) > MAX_PENS:
        raise UserError(f"--pens {text}: {len(names)} pens; a drawing takes 1 to {MAX_PENS}")
    pens = []
    for name in names:
        try:
            pens.append(Pen(name, ImageColor.getcolor(name, "RGB")))
        except ValueError:
            raise UserError(f"--pens {text}: {name!r} is not a colour; use names or hex codes separated by "
                            "commas, e.g. black,#1a2b8c,#c03020") from None
    return pens


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


@dataclass
class Layer:
    """One Inkscape/AxiDraw layer: its label (its number first), its strokes' colour and its strokes (mm),
    in drawing order."""
    label: str
    colour: str
    strokes_mm: np.ndarray


def svg_document(strokes_mm, page, pen_width, colour="black", title="drawing"):
    """The SVG text of strokes already on the page (mm), in drawing order, in one layer."""
    return layered_document([Layer(LAYER_LABEL, colour, strokes_mm)], page, pen_width, title)


def layered_document(layers, page, pen_width, title="drawing"):
    """The SVG text of `Layer`s, plotted one after the other (one pen each), numbered from 1."""
    width, height = page
    groups = "".join(layer_group(number, layer, pen_width) for number, layer in enumerate(layers, start=1))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="{INKSCAPE_NAMESPACE}"\n'
        f'     width="{width:g}mm" height="{height:g}mm" viewBox="0 0 {width:g} {height:g}">\n'
        f'  <title>{escape(title)}</title>\n'
        f"{groups}"
        "</svg>\n")


def layer_group(number, layer, pen_width):
    """The `<g>` of one layer, its paths in the layer's colour and the pen's width."""
    paths = "\n".join(f'    <path d="{path_data(stroke)}"/>' for stroke in layer.strokes_mm)
    return (
        f'  <g id="layer{number}" inkscape:groupmode="layer" inkscape:label={quoteattr(layer.label)}\n'
        f'     fill="none" stroke={quoteattr(layer.colour)} stroke-width="{pen_width:g}"'
        ' stroke-linecap="round" stroke-linejoin="round">\n'
        f"{paths}\n"
        "  </g>\n")
