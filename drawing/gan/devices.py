"""Where training runs: one CPU or GPU, data-parallel over several GPUs or machines, or the original's split.

- `auto`: every GPU, data-parallel (MirroredStrategy); one GPU alone; the CPU where there is none.
- `mirrored`: MirroredStrategy over every GPU (or every logical CPU, for tests).
- `split`: the original's mode, the generator and its optimizer on GPU 0, the discriminator and its on GPU 1.
- `cpu`: the CPU even where there are GPUs.
With TF_CONFIG naming several machines, MultiWorkerMirroredStrategy over all of them (only the chief
writes files).
"""
import contextlib
import json
import os
from dataclasses import dataclass

from drawing.backend import tf
from drawing.errors import UserError


@dataclass
class DevicePlan:
    strategy: tf.distribute.Strategy
    generator_device: str = None     # set in split mode only
    discriminator_device: str = None
    description: str = ""

    @property
    def replicas(self):
        return self.strategy.num_replicas_in_sync

    @property
    def is_chief(self):
        resolver = getattr(self.strategy, "cluster_resolver", None)
        if resolver is None or not resolver.task_type:
            return True
        cluster = resolver.cluster_spec().as_dict()
        if "chief" in cluster:
            return resolver.task_type == "chief"
        return resolver.task_type == "worker" and resolver.task_id == 0


def _cluster_size():
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError:
        raise UserError("TF_CONFIG: not valid JSON") from None
    return sum(len(tasks) for name, tasks in cluster.items() if name in ("chief", "worker"))


def plan_devices(mode):
    """The distribution strategy for `devices` (auto, mirrored, split, cpu). Must run before any other
    TensorFlow work in the process (MultiWorkerMirroredStrategy requires it)."""
    if mode != "cpu" and _cluster_size() > 1:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        return DevicePlan(strategy, description=f"MultiWorkerMirroredStrategy, "
                                                f"{strategy.num_replicas_in_sync} replicas")
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    if mode == "cpu" or (mode == "auto" and not gpus):
        return DevicePlan(tf.distribute.OneDeviceStrategy("/cpu:0"), description="CPU")
    if mode == "split":
        if len(gpus) < 2:
            raise UserError(f"options.json: 'devices': \"split\" needs two GPUs, this machine has {len(gpus)}")
        return DevicePlan(tf.distribute.get_strategy(), gpus[0], gpus[1],
                          description=f"split: generator on {gpus[0]}, discriminator on {gpus[1]}")
    if mode == "auto" and len(gpus) == 1:
        return DevicePlan(tf.distribute.OneDeviceStrategy(gpus[0]), description=gpus[0])
    devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
    return DevicePlan(tf.distribute.MirroredStrategy(devices),
                      description=f"MirroredStrategy over {', '.join(devices)}")


def on_device(device):
    """A device scope in split mode; no constraint otherwise."""
    return tf.device(device) if device else contextlib.nullcontext()
