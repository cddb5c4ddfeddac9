"""The latent path maths of gen/path.py: loops close without a repeated frame, joins are smooth."""
import numpy as np
import pytest

from drawing.gen import latent_paths as lp

LATENT_SIZE = 12


def rng(seed=0):
    return np.random.default_rng(seed)


LOOPS = {
    "bezier": lambda seed: lp.bezier_latents(rng(seed), 4, 40, LATENT_SIZE),
    "bezier_one_segment": lambda seed: lp.bezier_latents(rng(seed), 1, 90, LATENT_SIZE),
    "bitloop": lambda seed: lp.bitloop_latents(rng(seed), "1101", 128, LATENT_SIZE),
    "period": lambda seed: lp.period_latents(rng(seed), 600, LATENT_SIZE),
    "phase": lambda seed: lp.phase_latents(rng(seed), 120, LATENT_SIZE),
    "keyframes_linear": lambda seed: lp.keyframe_loop(rng(seed).standard_normal((4, LATENT_SIZE)), 30, "linear"),
    "keyframes_spherical": lambda seed: lp.keyframe_loop(rng(seed).standard_normal((4, LATENT_SIZE)), 30, "spherical"),
    "keyframes_spline": lambda seed: lp.keyframe_loop(rng(seed).standard_normal((4, LATENT_SIZE)), 30, "spline"),
}


def cyclic_steps(latents):
    """Step vectors from each frame to the next, the last one back to the first."""
    return np.roll(latents, -1, axis=0) - latents


@pytest.mark.parametrize("style", LOOPS)
def test_loop_has_no_repeated_consecutive_frame(style):
    latents = LOOPS[style](0)
    lengths = np.linalg.norm(cyclic_steps(latents), axis=1)
    assert latents.dtype == np.float32 and latents.shape[1] == LATENT_SIZE
    assert lengths.min() > 1e-4, f"frame {lengths.argmin()} repeats"


@pytest.mark.parametrize("style", LOOPS)
def test_closing_step_is_like_any_other_step(style):
    """Played on repeat, the seam (last frame -> first) is an ordinary step, not a stop or a jump."""
    latents = LOOPS[style](1).astype(np.float64)
    steps = cyclic_steps(latents)
    lengths = np.linalg.norm(steps, axis=1)
    assert 0.9 * lengths[:-1].min() <= lengths[-1] <= 1.1 * lengths[:-1].max()
    if style not in ("keyframes_linear", "keyframes_spherical"):
        # smooth paths bend no more at the seam than elsewhere (a repeated frame would be a sharp kink)
        bends = np.linalg.norm(steps - np.roll(steps, 1, axis=0), axis=1)
        assert max(bends[0], bends[-1]) <= 1.1 * bends[1:-1].max()


@pytest.mark.parametrize("style", ["bezier", "phase", "keyframes_spline"])
def test_no_frame_repeats_anywhere(style):
    latents = LOOPS[style](2).astype(np.float64)
    squared = (latents ** 2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2 * latents @ latents.T
    np.fill_diagonal(distances, np.inf)
    assert distances.min() > 1e-8


@pytest.mark.parametrize("style", [style for style in LOOPS if not style.startswith("keyframes")] + ["random"])
def test_same_seed_same_latents_other_seed_other_latents(style):
    make = LOOPS.get(style, lambda seed: lp.random_latents(rng(seed), 5, LATENT_SIZE))
    np.testing.assert_array_equal(make(3), make(3))
    assert not np.allclose(make(3), make(4))


def test_bezier_joins_are_c1_and_the_loop_closes():
    control = lp.bezier_control_points(lp.bezier_anchors(rng(5), 5, LATENT_SIZE))
    previous = np.roll(control, 1, axis=0)
    np.testing.assert_allclose(control[:, 0], previous[:, 4])                       # C0, the last to the first too
    np.testing.assert_allclose(4 * (control[:, 1] - control[:, 0]),                  # C1: tangent in = tangent out
                               4 * (previous[:, 4] - previous[:, 3]))


def test_bezier_frames_start_each_segment_on_its_anchor():
    anchors = lp.bezier_anchors(rng(6), 3, LATENT_SIZE)
    latents = lp.bezier_loop(lp.bezier_control_points(anchors), 16)
    assert latents.shape == (48, LATENT_SIZE)
    np.testing.assert_allclose(latents[16], anchors[0, 2], rtol=1e-5)
    np.testing.assert_allclose(latents[0], anchors[2, 2], rtol=1e-5)


def test_bitloop_moves_exactly_the_dimensions_of_the_one_bits():
    latents = lp.bitloop_latents(rng(7), "110", 64, 8)
    moving = np.ptp(latents, axis=0) > 0
    assert moving.tolist() == [True, True, False, True, True, False, True, True]


@pytest.mark.parametrize("bits", ["", "12", "abc", "0000", "1 0"])
def test_bad_bitstrings_are_refused(bits):
    with pytest.raises(ValueError):
        lp.parse_bitstring(bits)


def test_period_cycles_divide_60_and_the_path_repeats_exactly():
    frames = 1800
    latents = lp.period_latents(rng(8), frames, 64).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(latents - latents.mean(axis=0), axis=0))
    cycles = spectrum.argmax(axis=0)
    assert all(60 % count == 0 for count in cycles)
    assert len(set(cycles)) > 3
    # one frame further along the loop is frame 0 again: the continuous wave at t = 1
    k = np.arange(frames + 1)[:, None]
    assert np.allclose(np.sin(2 * np.pi * cycles * k[-1] / frames), 0, atol=1e-9)


def test_period_skips_cycle_counts_too_fast_for_a_short_loop():
    assert lp.cycle_choices(40).max() == 5
    with pytest.raises(ValueError):
        lp.cycle_choices(4)


def test_phase_gives_every_dimension_one_period():
    latents = lp.phase_latents(rng(9), 90, 16).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(latents - latents.mean(axis=0), axis=0))
    assert (spectrum.argmax(axis=0) == 1).all()


@pytest.mark.parametrize("interpolation", lp.INTERPOLATIONS)
def test_keyframe_loop_passes_through_the_keyframes(interpolation):
    keyframes = rng(10).standard_normal((3, LATENT_SIZE))
    latents = lp.keyframe_loop(keyframes, 20, interpolation)
    assert latents.shape == (60, LATENT_SIZE)
    np.testing.assert_allclose(latents[::20], keyframes, rtol=1e-5, atol=1e-5)


def test_keyframe_loop_refuses_too_few_keyframes_and_unknown_interpolation():
    with pytest.raises(ValueError):
        lp.keyframe_loop(np.zeros((1, 4)), 10)
    with pytest.raises(ValueError):
        lp.keyframe_loop(np.eye(4), 10, "cubic-ish")


def test_slerp_keeps_the_radius_between_equal_length_points():
    start, end = np.array([3.0, 0.0]), np.array([0.0, 3.0])
    path = lp.slerp(start, end, np.linspace(0, 1, 9))
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0)
    np.testing.assert_allclose(path[[0, -1]], [start, end], atol=1e-12)


def test_truncation_scales_toward_zero():
    latents = rng(11).standard_normal((4, LATENT_SIZE)).astype(np.float32)
    np.testing.assert_allclose(lp.truncate(latents, 0.5), latents * 0.5)
    assert lp.truncate(latents, 1.0).dtype == np.float32
