"""The fill stages over a folder of drawings: blob_fill.py's and spec_fill.py's work, on every core.

`fill_folder` runs a colouring (drawing/fill/colour.py) over a folder. Its output folder holds one RGB
PNG per drawing, named like the drawing; the record beside it (`out/` -> `out.json`, drawing/folders.py)
holds the script, command, input folder, palette, options and the seed, and says `"complete": true` only
once every drawing is written. Each drawing's random generator is seeded by (seed, file name), so a
colouring does not depend on the other files of the folder or on the number of cores, and an interrupted
run finishes, by rerunning its command, to what an uninterrupted one writes.
"""
import functools
import logging
import secrets
import zlib
from pathlib import Path

import numpy as np

from drawing.files import check_writable_folder, list_images, write_errors_reported
from drawing.fill.blend import blend_cpu
from drawing.fill.colour import colour_blob_with_palette_file, colour_spec_with_palette_file, load_palette
from drawing.fill.regions import DEFAULT_CLOSE_GAPS, DEFAULT_MIN_REGION, SPEC_IGNORED_MARGIN, read_drawing
from drawing.folders import command_line, open_output_folder, record_path, require_complete, write_record
from drawing.images import FAST_PNG, read_image, write_png
from drawing.parallel import parallel_map, report_failures

log = logging.getLogger(__name__)

# The original's CPU --blend (blob_fill.py's; spec_fill.py's stopped at an error) wrote each mean back at
# once, so later pixels averaged neighbours already blended, and counted pixels outside the image as the
# centre one; its blend.cu, like ours on CPU and GPU, averages the unblended pixels inside the image.
BLEND_NOTE = ("--blend averages each pixel's unblended 3x3 neighbours inside the image, as the original's "
              "blend.cu and blend.py (the original's CPU --blend averaged in place, in scan order)")


def regions_note(close_gaps, min_region, blend=False):
    """A line saying how the regions (and the blend) differ from the original's, where they do (so no
    difference is silent)."""
    changes = []
    if close_gaps:
        changes.append(f"line breaks up to {close_gaps} px are closed")
    if min_region:
        changes.append(f"specks under {min_region} px are merged into their neighbours")
    parts = []
    if changes:
        parts.append(f"{' and '.join(changes)}; --close_gaps=0 --min_region=0 gives the original's regions exactly")
    if blend:
        parts.append(BLEND_NOTE)
    return f"note: {'; '.join(parts)}" if parts else None


def resized_palette_note(palette_shape, drawing_shapes):
    """The note saying that --overlay resized the palette, or None when every drawing has its size."""
    resized = sorted({shape for shape in drawing_shapes if shape is not None and shape != palette_shape[:2]})
    if not resized:
        return None
    sizes = ", ".join(f"{width} x {height}" for height, width in resized)
    return (f"note: the palette is {palette_shape[1]} x {palette_shape[0]}; for --overlay it was resized "
            f"to the drawings' size ({sizes})")


def drawing_rng(seed, name):
    """The random generator of one drawing: the same for the same seed and file name, whatever the folder."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def fill_file(colour, dir_out, seed, blend, keep_written, path):
    """Colour one drawing file into `dir_out`; (outcome, drawing height x width or None) for the report.

    A drawing with no paper at all is written unchanged (outcome 'all line'); one whose every region
    came out white is written so, but reported (outcome 'all white'). With `keep_written`, a drawing
    already written (by the interrupted run being finished) is left as it is (outcome 'kept').
    """
    target = Path(dir_out) / path.name
    if keep_written and target.is_file():
        return "kept", None
    light = read_drawing(path)
    coloured = colour(light, drawing_rng(seed, path.name))
    outcome = "coloured"
    if coloured is None:
        coloured, outcome = read_image(path, "RGB"), "all line"
    elif (coloured == 255).all():
        outcome = "all white"
    elif blend:
        coloured = blend_cpu(coloured)
    with write_errors_reported(target):
        write_png(target, coloured, **FAST_PNG)
    return outcome, light.shape


def open_fill_output(dir_out, stage, inputs, settings):
    """`open_output_folder` for a fill (the rerun rule for `settings`), after checking that the folder and
    the place of its record can be written (one line naming the folder, before any work, if not)."""
    for folder in (dir_out, record_path(dir_out).parent):
        check_writable_folder(folder)
    return open_output_folder(dir_out, stage, inputs=inputs, settings=settings)


def fill_folder(colour, dir_in, dir_out, seed, settings, desc, inputs=()):
    """Run `colour(lightness, rng)` (an RGB image, or None for no paper) over every PNG of `dir_in`.

    `settings` holds "stage" (the script's name), "blend" and the fill's options. The record beside
    `dir_out` (`out/` -> `out.json`) holds them with the input, the command and the seed, and is marked
    complete only once every drawing is written, on every core. A rerun into a folder holding drawings
    must have the same input and settings (drawing/folders.py's rerun rule), the seed included; without
    a seed (None) it takes the recorded one. It finishes an interrupted run, keeping the drawings already
    written, or redoes a finished one. `inputs` are further files the output must
    not overlap (the palette). A drawing that fails is reported at the end, after the others are done;
    the results are `fill_file`'s. `colour` must be picklable: a module-level function or a partial of one.
    """
    drawings = list_images(dir_in)
    require_complete(dir_in)
    settings = dict(settings, input=Path(dir_in))
    rerun_settings = settings if seed is None else dict(settings, seed=seed)
    earlier = open_fill_output(dir_out, settings["stage"], [dir_in, *inputs], rerun_settings)
    resuming = earlier.get("complete") is False
    if earlier.get("seed") is not None:
        seed = earlier["seed"]
    elif seed is None:
        seed = secrets.randbelow(2 ** 32)
    record = dict(settings, command=command_line(), seed=seed)
    write_record(dir_out, record, complete=False)
    log.info(f"{len(drawings)} drawings, seed {seed} (recorded in {record_path(dir_out)})"
             + (", finishing the interrupted run" if resuming else ""))
    results = parallel_map(functools.partial(fill_file, colour, dir_out, seed, settings["blend"], resuming),
                           drawings, desc=desc, unit="drawing", keep_going=True)
    for path, result in zip(drawings, results):
        if isinstance(result, tuple) and result[0] == "all line":
            log.warning(f"{path}: the drawing is all line (no paper above the threshold); written unchanged")
        elif isinstance(result, tuple) and result[0] == "all white":
            log.warning(f"{path}: every region came out white (a spec fill leaves the paper around the "
                        "specimen and its centre white: is this a spec drawing with closed shapes?); written all white")
    report_failures(results, what="drawing")
    write_record(dir_out, record, complete=True)
    return results


def blob_fill(dir_in, palette, dir_out, seed=None, overlay=False, blend=False, close_gaps=DEFAULT_CLOSE_GAPS,
              min_region=DEFAULT_MIN_REGION):
    """blob_fill.py: colour every drawing of `dir_in` with the colours of the palette image at `palette`.

    Each region takes a random pixel of the palette, or with `overlay` the mean of the palette under it
    (the palette resized to the drawing, which is said once at the end); `blend` softens the edges.
    `seed` None takes the recorded seed of an interrupted run, or a new one. Returns fill_folder's results.
    """
    # Read before anything is written, so a bad palette stops the run; the workers inherit it.
    palette_shape = load_palette(palette).shape
    settings = {"stage": "blob_fill.py", "palette": str(palette), "overlay": overlay, "blend": blend,
                "close_gaps": close_gaps, "min_region": min_region}
    regions = {"close_gaps_px": close_gaps, "min_region": min_region}
    results = fill_folder(functools.partial(colour_blob_with_palette_file, palette, overlay, regions), dir_in,
                          dir_out, seed, settings, desc="blob fill", inputs=[palette])
    if overlay:
        note = resized_palette_note(palette_shape, [result[1] for result in results])
        if note:
            log.info(note)
    return results


def spec_fill(dir_in, palette, dir_out, seed=None, margin=SPEC_IGNORED_MARGIN, blend=False,
              close_gaps=DEFAULT_CLOSE_GAPS, min_region=DEFAULT_MIN_REGION):
    """spec_fill.py: colour every drawing of `dir_in`, mirror-image regions alike, with the colours of the
    palette image at `palette` (None: BUILTIN_PALETTE). Lines within `margin` px of the border are
    ignored; `blend` softens the edges. Returns fill_folder's results."""
    if palette is not None:
        # Read before anything is written, so a bad palette stops the run; the workers inherit it.
        load_palette(palette)
    settings = {"stage": "spec_fill.py", "palette": str(palette) if palette else "built-in", "margin": margin,
                "blend": blend, "close_gaps": close_gaps, "min_region": min_region}
    regions = {"close_gaps_px": close_gaps, "min_region": min_region}
    return fill_folder(functools.partial(colour_spec_with_palette_file, palette, margin, regions), dir_in, dir_out,
                       seed, settings, desc="spec fill", inputs=[palette] if palette else [])
