"""The step maths: lazy regularisation's Adam settings, the moving average, D on reals and fakes together."""
import numpy as np
import pytest
import tensorflow as tf
from test_gan_training import TINY

from drawing.gan.devices import plan_devices
from drawing.gan.loss import discriminator_optimizer_settings, ema_beta
from drawing.gan.options import parse_options
from drawing.gan.training import Trainer


def test_lazy_regularisation_adam_settings_match_the_seed():
    rate, beta_1, beta_2 = discriminator_optimizer_settings(0.002, 0.0, 0.99, 16)
    assert rate == pytest.approx(0.002 * 16 / 17)
    assert beta_1 == 0.0 and beta_2 == pytest.approx(0.99 ** (16 / 17))


def test_ema_half_life():
    assert ema_beta(32, 10) ** (10_000 / 32) == pytest.approx(0.5)


@pytest.mark.parametrize("batch", [2, 4])
def test_reals_and_fakes_are_classified_alike_together_or_apart(batch):
    options = parse_options({**TINY, "dataset_file_pattern": "unused", "replica_batch_size": batch})
    trainer = Trainer(options, plan_devices("cpu"))
    rng = np.random.default_rng(batch)
    reals, fakes = (tf.constant(rng.uniform(size=(batch, 8, 8, 3)).astype(np.float32)) for _ in range(2))
    together = trainer.loss.classify_both(reals, fakes)
    for joint, image in zip(together, (reals, fakes)):
        np.testing.assert_allclose(joint.numpy(), trainer.discriminator(image, training=True).numpy(), atol=1e-5)
