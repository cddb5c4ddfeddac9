"""The smoothness metrics ppl and jumps: what they measure on stand-in generators, one value per seed,
their options checked, and in a tiny training run and train/metrics.py."""
import json

import numpy as np
import pytest
from test_gan_training import make_run, write_shards

from drawing.errors import UserError
from drawing.gan.evaluation import evaluate_run
from drawing.gan.metrics import JUMPS_TOP_SHARE, Metrics, jumps, path_length, top_share
from drawing.gan.options import parse_options
from drawing.gan.training import train_run

BASE_OPTIONS = {"dataset_file_pattern": "x", "resolution": 8, "replica_batch_size": 4}


class StandIn:
    """A generator of the `drawing.gan.Generator` contract whose grey page follows `shade(latents)`."""

    def __init__(self, shade, latent_size=4, resolution=8):
        self.shade, self.latent_size, self.resolution = shade, latent_size, resolution

    def __call__(self, latents):
        grey = np.clip(self.shade(np.asarray(latents, np.float64)), 0, 1).astype(np.float32)
        return np.broadcast_to(grey[:, None, None, None], (len(latents), self.resolution, self.resolution, 3))


def gentle(latents):
    return 0.5 + 0.05 * latents[:, 0]


def test_top_share_is_the_share_of_change_in_the_largest_steps():
    assert top_share(np.ones(40)) == pytest.approx(JUMPS_TOP_SHARE)   # perfectly even
    assert top_share(np.r_[np.zeros(39), 5.0]) == pytest.approx(1.0)  # all in one jump
    assert top_share(np.ones(30)) == pytest.approx(0.05)              # 1.5 steps of 30: the half counted in part
    assert top_share(np.zeros(20)) == JUMPS_TOP_SHARE                  # nothing moves


def test_jumps_tell_a_sudden_generator_from_a_gentle_one():
    sudden = StandIn(lambda latents: (latents[:, 0] > 0.3).astype(np.float64))   # a switch: still, then a jump
    assert jumps(StandIn(gentle), loops=2, frames=40) < 0.2    # 0.12: a bezier loop speeds up and slows down
    assert jumps(sudden, loops=2, frames=40) > 0.5


def test_ppl_is_the_change_of_a_small_step_over_epsilon_squared():
    # the page's grey changes in proportion to the latent: twice as steep, twice the change (the measure
    # is an absolute difference, not a square)
    steep = StandIn(lambda latents: 0.5 + 0.1 * latents[:, 0])
    gentle_length = path_length(StandIn(gentle), pairs=64, seed=1)
    assert path_length(steep, pairs=64, seed=1) == pytest.approx(2 * gentle_length, rel=0.02)
    assert path_length(StandIn(lambda latents: np.full(len(latents), 0.5)), pairs=8) == 0


def test_both_give_one_value_per_seed(untrained_generator):
    generator = untrained_generator   # 16 px, latent size 8
    for measure, counts in ((path_length, {"pairs": 16}), (jumps, {"loops": 1, "frames": 20})):
        first, again, other = (measure(generator, **counts, seed=seed) for seed in (3, 3, 4))
        assert first == again and first != other
    judge = Metrics(["jumps", "ppl"], seed=3, ppl_pairs=16, jumps_loops=1, jumps_frames=20)
    values = judge(generator)
    assert list(values) == ["jumps", "ppl"] and values["ppl"] == path_length(generator, 16, seed=3)


@pytest.mark.parametrize("change, message", [
    ({"metrics": "ppl,smooth"}, "'metrics' metric 'smooth' is unknown"),
    ({"ppl_pairs": 1}, "'ppl_pairs' must be an integer of at least 2"),
    ({"jumps_loops": 0}, "'jumps_loops' must be a positive integer"),
    ({"jumps_frames": 10}, "'jumps_frames' must be an integer of at least 20"),
    ({"jumps_frames": 40.5}, "'jumps_frames' must be an integer of at least 20"),
])
def test_their_options_are_checked(change, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        parse_options({**BASE_OPTIONS, **change}, source="run/options.json")


def test_their_options_default_to_a_few_seconds_of_work():
    options = parse_options({**BASE_OPTIONS, "metrics": "ppl, jumps"})
    assert options.metrics == ("ppl", "jumps")
    assert options.metric_counts == {"ppl_pairs": 256, "jumps_loops": 4, "jumps_frames": 80}


def test_a_run_measures_them_every_epoch_and_metrics_py_finds_the_same(tmp_path):
    counts = {"ppl_pairs": 8, "jumps_loops": 1, "jumps_frames": 20}
    run_dir = make_run(tmp_path / "run", write_shards(tmp_path / "shards", 8), metrics=["ppl", "jumps"], **counts)
    train_run(run_dir)
    stats = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]
    assert all(line["ppl"] > 0 and JUMPS_TOP_SHARE <= line["jumps"] <= 1 for line in stats)
    evaluate_run(run_dir, newest=True)
    (line,) = [json.loads(text) for text in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert line["ppl"] == pytest.approx(stats[-1]["ppl"]) and line["jumps"] == pytest.approx(stats[-1]["jumps"])
    assert {key: line[key] for key in counts} == counts
