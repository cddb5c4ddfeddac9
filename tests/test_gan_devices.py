"""Device plans: data-parallel and split training on two logical CPUs, two workers on localhost."""
import json
import os
import socket
import subprocess
import sys

import numpy as np
from helpers import REPO, run_script
from test_gan_training import make_run, write_shards

from drawing.gan.legacy import read_checkpoint

TWO_DEVICE_RUNS = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from drawing.gan.options import load_options
from drawing.gan.devices import DevicePlan, plan_devices
from drawing.gan.training import Run
mirrored, split = sys.argv[1:]
plan = plan_devices("mirrored")
assert plan.replicas == 2, plan.description
Run(mirrored, load_options(mirrored), plan).train()
# The original's split mode, with two logical CPUs standing in for the two GPUs.
Run(split, load_options(split), DevicePlan(tf.distribute.get_strategy(), "/cpu:0", "/cpu:1", "split")).train()
"""


def test_data_parallel_and_split_training_on_two_devices(tmp_path):
    """MirroredStrategy (per-replica seeds, all-reduce, cross-replica updates) and the split mode's device
    placement, on two logical CPUs."""
    pattern = write_shards(tmp_path / "shards", 8)
    mirrored = make_run(tmp_path / "mirrored", pattern, devices="mirrored", epoch_sample_count=8,
                        total_sample_count=8)
    split = make_run(tmp_path / "split", pattern, epoch_sample_count=4, total_sample_count=4)
    (tmp_path / "two_devices.py").write_text(TWO_DEVICE_RUNS)
    run_script("train", tmp_path / "two_devices.py", mirrored, split)
    for run_dir, samples in ((mirrored, 8), (split, 4)):
        checkpoint = read_checkpoint(run_dir / "1.checkpoint")
        assert checkpoint.training["batch_count"] == 1 and checkpoint.training["sample_count"] == samples
        assert all(np.isfinite(array).all() for array in checkpoint.generator + checkpoint.discriminator)
    assert json.loads((mirrored / "options.used.json").read_text())["replicas"] == 2


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("localhost", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def test_two_workers_train_one_run_and_only_the_chief_writes(tmp_path):
    """MultiWorkerMirroredStrategy on one machine: TF_CONFIG names two workers on localhost."""
    run_dir = make_run(tmp_path / "run", write_shards(tmp_path / "shards", 8), augment=["translation"],
                       augment_probability=0.2)
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(os.environ, PYTHONUNBUFFERED="1",
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        workers.append(subprocess.Popen([sys.executable, "main.py", str(run_dir)], cwd=REPO / "train", env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for worker in workers:
            stdout, stderr = worker.communicate(timeout=300)
            assert worker.returncode == 0, stdout + stderr
            outputs.append(stdout)
    finally:
        for worker in workers:
            worker.kill()
    assert "MultiWorkerMirroredStrategy, 2 replicas" in outputs[0]
    assert "the chief wrote" in outputs[1] and "the chief wrote" not in outputs[0]
    assert sorted(path.name for path in run_dir.glob("*.checkpoint")) == ["1.checkpoint", "2.checkpoint"]
    assert len((run_dir / "stats.jsonl").read_text().splitlines()) == 2   # written once, by the chief
    # Both workers took the same synchronised steps: the same losses in their progress bars.
    losses = [[line.split(" - ", 2)[-1] for line in output.splitlines() if "d_loss" in line] for output in outputs]
    assert losses[0] == losses[1] and len(losses[0]) == 2
