"""gen/svg.py end to end from its folder, and its refusals of bad input (drawing.plotter.run in this process)."""
import dataclasses
import json
import re
from xml.etree import ElementTree

import numpy as np
import pytest
import svgelements
from helpers import error_line, run_script

from drawing.errors import UserError
from drawing.folders import read_record
from drawing.gan.checkpoint import write_checkpoint
from drawing.gan.legacy import read_checkpoint
from drawing.images import read_image
from drawing.plotter import svgfile
from drawing.plotter.run import (
    DrawingSettings,
    check_settings,
    layer_listing,
    make_drawing,
    start_drawing_run,
    write_progress_plot,
)

QUICK = ["--size=32", "--strokes=12", "--segments=2", "--steps=4", "--large=2", "--large-steps=2", "--views=2"]


# svg.py's QUICK options as settings
QUICK_SETTINGS = {"size": 32, "strokes": 12, "segments": 2, "steps": 4, "large": 2, "large_steps": 2, "views": 2}


def test_svg_py_draws_from_its_folder(untrained_run, tmp_path, monkeypatch):
    # Fusion is on (svg.py once switched Grappler's remapper off); a remapper failure is only a log line.
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    dir_out = tmp_path / "drawings"
    arguments = ["svg.py", untrained_run, f"--dir_out={dir_out}", "--layer=conv_8x8_1", "--channel=1",
                 "--page=A3", "--margin=20", "--pen-width=0.3", "--colour=navy", "--seed=5", *QUICK]
    completed = run_script("gen", *arguments)
    assert "remapper failed" not in completed.stderr, completed.stderr[-2000:]
    run_dir = dir_out / "00000-conv_8x8_1-c1-seed5"
    assert sorted(path.name for path in run_dir.iterdir()) == ["drawing.svg", "preview.png", "progress.png",
                                                               "stats.json"]
    record = read_record(run_dir)   # beside the folder: 00000-conv_8x8_1-c1-seed5.json
    assert record["stage"] == "svg.py" and record["complete"] is True and record["seed"] == 5
    assert record["command"] == "python " + " ".join(map(str, arguments))
    assert (record["layer"], record["channel"]) == ("conv_8x8_1", 1)
    stats = json.loads((run_dir / "stats.json").read_text())
    assert stats["strokes"] == 4 * 12 and stats["seed"] == 5 and stats["canvas_px"] == 64
    assert stats["pen_up_mm_after_ordering"] <= stats["pen_up_mm_before_ordering"]
    assert stats["pen_down_mm"] > 0 and stats["arguments"]["layer"] == "conv_8x8_1"
    assert stats["arguments"]["colour"] == "navy"   # --colour, the old spelling of --color, recorded as before
    assert set(stats["activation"]) == {"start", "small_pass", "replicated", "large_pass"}

    document = svgelements.SVG.parse(str(run_dir / "drawing.svg"), reify=False)
    assert (document.values["width"], document.values["height"]) == ("297mm", "420mm")
    paths = [element for element in document.elements() if isinstance(element, svgelements.Path)]
    assert len(paths) == 48 and {path.values["stroke-width"] for path in paths} == {"0.3"}
    assert {path.values["stroke"] for path in paths} == {"navy"}
    assert read_image(run_dir / "preview.png", "L").shape == (64, 64)
    assert read_image(run_dir / "progress.png").shape[2] == 3


def test_list_layers(untrained_run):
    listing = layer_listing(DrawingSettings(model=str(untrained_run)))
    assert "conv_16x16_1" in listing and "conv_4x4_2" in listing and "to_classification" in listing


def test_a_missing_layer_fails_in_one_line_listing_the_valid_ones(untrained_run, tmp_path):
    with pytest.raises(UserError) as error:   # svg.py <run> --layer=conv_99 --dir_out=<tmp>
        make_drawing(check_settings(DrawingSettings(model=str(untrained_run), layer="conv_99")), tmp_path, arguments={})
    assert str(error.value).startswith("--layer conv_99:") and "conv_8x8_1" in str(error.value)
    assert "\n" not in str(error.value) and not any(tmp_path.iterdir())


@pytest.fixture
def checkpoint_without_discriminator(untrained_run, tmp_path):
    checkpoint = read_checkpoint(untrained_run / "0.checkpoint")
    path = tmp_path / "3.checkpoint"
    write_checkpoint(path, dataclasses.replace(checkpoint, discriminator=None))
    return path


@pytest.mark.parametrize("options, message", [
    ({"channel": 99}, "--channel 99: layer to_classification .* 1 channel, numbered 0 to 0"),
    ({"layer": "conv_8x8_1", "channel": 99}, "--channel 99: layer conv_8x8_1 .* 32 channels, numbered 0 to 31"),
    ({"page": "20x20mm", "margin": 10.0}, "--margin 10: leaves no room"),
    ({"page": "B5"}, "--page B5: not a page size"),
    ({"segments": 4}, "--segments 4"),
    ({"weights": "vgg16.h5"}, "--weights is for --network vgg16"),
    ({"network": "vgg16", "weights": "vgg16.h5"}, "takes no checkpoint"),
    ({"views": 6}, "--views 6: the discriminator's minibatch layer"),
])
def test_bad_options_are_refused(untrained_run, tmp_path, options, message):
    with pytest.raises(UserError, match=message):
        settings = check_settings(DrawingSettings(model=str(untrained_run), **options))
        make_drawing(settings, tmp_path, arguments={})
    assert not any(tmp_path.iterdir())


def test_a_checkpoint_without_discriminator_is_refused(checkpoint_without_discriminator, tmp_path):
    settings = check_settings(DrawingSettings(model=str(checkpoint_without_discriminator)))
    with pytest.raises(UserError, match="discriminator"):
        make_drawing(settings, tmp_path, arguments={})


def test_vgg16_from_a_local_weights_file_draws_too(tmp_path):
    from drawing.backend import keras
    weights = tmp_path / "vgg16.h5"
    keras.applications.VGG16(weights=None, include_top=False).save_weights(weights)
    settings = check_settings(DrawingSettings(network="vgg16", weights=str(weights), layer="block1_conv2", channel=3,
                                              size=32, strokes=5, steps=2, large=1, views=1))
    assert settings.colour == "black"   # one pen, the default colour
    run_dir, stats = make_drawing(settings, tmp_path / "drawings", arguments={"as": "given"}, command="python svg.py")
    assert run_dir.name == "00000-block1_conv2-c3-seed0"
    assert json.loads((run_dir / "stats.json").read_text()) == stats
    assert stats["network"] == f"VGG16 ({weights})" and stats["strokes"] == 5 and stats["canvas_px"] == 32
    assert stats["arguments"] == {"as": "given"}
    assert read_record(run_dir) == {"stage": "svg.py", "command": "python svg.py", "network": f"VGG16 ({weights})",
                                    "layer": "block1_conv2", "channel": 3, "seed": 0,
                                    "created": read_record(run_dir)["created"], "complete": True}


def test_progress_plot_and_run_numbering(tmp_path):
    (tmp_path / "00007-conv_8x8_1-seed0").mkdir()
    run_dir = start_drawing_run(tmp_path, "conv_8x8_1", None, 0, {"stage": "svg.py"})
    assert run_dir.name == "00008-conv_8x8_1-seed0"
    assert read_record(run_dir) == {"stage": "svg.py", "complete": False}   # until every file is written
    (tmp_path / "00009-conv_8x8_1-c2-seed1.json").write_text("{}")   # a record counts as a run too
    assert start_drawing_run(tmp_path, "conv_8x8_1", 2, 1, {}).name == "00010-conv_8x8_1-c2-seed1"
    write_progress_plot(run_dir / "progress.png",
                        {"small_pass": np.linspace(0, 1, 50), "large_pass": np.array([])}, "title")
    assert read_image(run_dir / "progress.png").shape == (400, 800, 3)


def svg_layers(path):
    """(label, stroke colour, path count) of every Inkscape layer of an SVG file, in order."""
    inkscape = f"{{{svgfile.INKSCAPE_NAMESPACE}}}"
    groups = ElementTree.parse(path).getroot().findall("{http://www.w3.org/2000/svg}g")
    return [(group.get(f"{inkscape}label"), group.get("stroke"), len(group)) for group in groups
            if group.get(f"{inkscape}groupmode") == "layer"]


def test_pens_draw_one_layer_each_and_a_colour_preview(untrained_run, tmp_path):
    dir_out = tmp_path / "drawings"
    # svg.py <run> --dir_out=<dir_out> --layer=conv_8x8_1 --seed=2 "--pens=black, #1a2b8c" <QUICK>, in this process
    settings = check_settings(DrawingSettings(model=str(untrained_run), layer="conv_8x8_1", seed=2,
                                              pens="black, #1a2b8c", **QUICK_SETTINGS))
    run_dir, _ = make_drawing(settings, dir_out, arguments={})
    assert run_dir == dir_out / "00000-conv_8x8_1-seed2"
    stats = json.loads((run_dir / "stats.json").read_text())
    assigned = np.array(stats["pen_of_stroke"])
    assert len(assigned) == 12 and sorted(np.bincount(assigned)[1:]) == [6, 6]
    # Each stroke of the small canvas is drawn four times (2 x 2) by its pen.
    counts = [4 * int((assigned == pen).sum()) for pen in (1, 2)]
    assert svg_layers(run_dir / "drawing.svg") == [("1 black", "#000000", counts[0]),
                                                  ("2 #1a2b8c", "#1a2b8c", counts[1])]
    assert [pen["strokes"] for pen in stats["pens"]] == counts
    for key in ("pen_down_mm", "pen_up_mm_before_ordering", "pen_up_mm_after_ordering"):
        assert stats[key] == pytest.approx(sum(pen[key] for pen in stats["pens"]))
    assert all(pen["pen_up_mm_after_ordering"] <= pen["pen_up_mm_before_ordering"] for pen in stats["pens"])

    preview = read_image(run_dir / "preview.png").astype(int)
    assert preview.shape == (64, 64, 3)
    blue = (preview[..., 2] - preview[..., 0] > 60) & (preview[..., 2] < 200)
    black = preview.max(axis=2) < 60
    assert blue.sum() > 20 and black.sum() > 20


@pytest.mark.parametrize("options, message", [
    ({"pens": "black,#1a2b8c", "colour": "navy"}, "--color and --pens: give one"),
    ({"pens": "black,bleu"}, "--pens black,bleu: 'bleu' is not a colour"),
    ({"pens": ",".join(["red"] * 9)}, "9 pens; a drawing takes 1 to 8"),
    ({"pens": "red,green,blue", "strokes": 2}, "3 pens need at least as many --strokes"),
])
def test_bad_pens_are_refused(untrained_run, options, message):
    with pytest.raises(UserError, match=re.escape(message)):
        check_settings(DrawingSettings(model=str(untrained_run), **options))


def test_a_bad_pen_colour_is_one_line_naming_it(untrained_run, tmp_path):
    completed = run_script("gen", "svg.py", untrained_run, f"--dir_out={tmp_path}", "--pens=black,#12345", check=False)
    assert error_line(completed) == (
        "error: --pens black,#12345: '#12345' is not a colour; use names or hex codes separated by commas, "
        "e.g. black,#1a2b8c,#c03020")
    assert not any(tmp_path.iterdir())
