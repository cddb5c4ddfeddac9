"""The fill stage (fill/): generated drawings -> coloured drawings.

`regions` (paper, regions, gaps closed, specks merged, lines given to their nearest region), `symmetry`
(mirror-image regions of a spec tile), `colour` (palettes, the blob and spec colourings), `folder` (a fill
over a folder: blob_fill.py's and spec_fill.py's work, records, notes), `blend` (the 3x3 blend on CPU and
GPU) and `blend_folder` (blend.py's work).
"""
