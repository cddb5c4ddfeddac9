"""Pen-plotter drawings from what a network sees (gen/svg.py).

Many cubic Bezier strokes are optimised so that a chosen layer of a network fires, then written as an
SVG a pen plotter draws as is. One module per concern:

- `strokes`: the stroke arrays (numpy): random initial strokes, the 4 x 4 replication, lengths.
- `render`: the differentiable renderer (TensorFlow) that turns strokes into ink on paper, and the
  compositing of coloured pens' inks.
- `network`: the feature extractor: a layer (or channel) of our discriminator, or of VGG16.
- `optimise`: augmented views (crop, perspective, jitter) and the Adam loop that maximises the
  activation, for the small (periodic) pass and the large fine-tuning pass.
- `ordering`: the order the plotter draws strokes in, to shorten pen-up travel.
- `svgfile`: page sizes, pens, and the SVG with one path per stroke in an AxiDraw/Inkscape layer (one
  layer per pen).
- `run`: a run of svg.py (`DrawingSettings`, `make_drawing`): the two passes, the run folder and its files.

A stroke is an array of `3 * segments + 1` control points `(x, y)` in canvas pixels: point 0 starts
the path and every following triple is one cubic segment (two handles, then its end point), exactly
the `M x y C x y x y x y C ...` of an SVG path. A set of strokes is `[strokes, 3 * segments + 1, 2]`.
"""
