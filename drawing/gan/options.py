"""options.json: the training options of a run folder, checked key by key. Reference: docs/options.md.

The original's keys keep their meaning and defaults; every newer key is optional and, left out, gives the
original's behaviour (except `ema_kimg`, on by default). Mistakes are one-line `UserError`s naming the file
and the key: unknown keys, wrong types, values out of range, sample counts that do not divide.
"""
import dataclasses
import difflib
import glob
import json
import math
from pathlib import Path

from drawing.errors import UserError
from drawing.files import natural_sorted
from drawing.folders import require_complete
from drawing.gan.metrics import JUMPS_FRAMES, JUMPS_LOOPS, JUMPS_TOP_SHARE, METRIC_NAMES, PPL_PAIRS
from drawing.images import TILE_RESOLUTIONS

OPTIONS_FILE = "options.json"
AUGMENT_POLICIES = ("color", "translation", "cutout")
DEVICE_MODES = ("auto", "mirrored", "split", "cpu")


@dataclasses.dataclass(frozen=True)
class TrainingOptions:
    # The original's keys.
    dataset_file_pattern: str
    resolution: int
    replica_batch_size: int
    epoch_sample_count: int = 1024 * 16
    total_sample_count: int = 1024 * 16 * 32
    learning_rate: float = 0.002
    latent_size: int = 64
    beta_1: float = 0.0
    beta_2: float = 0.99
    # Beyond the original.
    seed: int = 0
    channel_scale: float = 1.0
    r1_gamma: float = 10.0
    d_reg_interval: int = 16
    ema_kimg: float = 10.0
    augment: tuple = ()
    augment_probability: object = 1.0   # a number in [0, 1], or "adaptive"
    ada_target: float = 0.6
    ada_kimg: float = 100.0
    ada_interval: int = 4
    mixed_precision: bool = False
    xla: bool = False
    devices: str = "auto"
    keep_checkpoints: int = None
    optimizer_state_in: str = "newest"
    shuffle_buffer: int = 1000
    fakes_grid: int = None
    metrics: tuple = ()
    metrics_interval: int = None        # epochs between evaluations; 1 when metrics are set
    metrics_images: int = 2048
    inception_weights: str = None       # a local .h5; None: Keras downloads the ImageNet weights
    ppl_pairs: int = PPL_PAIRS
    jumps_loops: int = JUMPS_LOOPS
    jumps_frames: int = JUMPS_FRAMES

    @property
    def epoch_count(self):
        return self.total_sample_count // self.epoch_sample_count

    @property
    def adaptive_augment(self):
        return bool(self.augment) and self.augment_probability == "adaptive"

    @property
    def network_shape(self):
        """What a checkpoint must match to be resumed with these options."""
        return {"resolution": self.resolution, "latent_size": self.latent_size,
                "channel_scale": self.channel_scale}

    def metrics_due(self, epoch):
        """Whether the metrics are computed after `epoch` (counted from 1)."""
        return bool(self.metrics) and epoch % (self.metrics_interval or 1) == 0

    @property
    def metric_counts(self):
        """The sample counts of ppl and jumps, as `metrics.Metrics` takes them."""
        return {"ppl_pairs": self.ppl_pairs, "jumps_loops": self.jumps_loops, "jumps_frames": self.jumps_frames}

    def to_dict(self):
        values = dataclasses.asdict(self)
        values["augment"] = list(self.augment)
        values["metrics"] = list(self.metrics)
        return values


REQUIRED = [f.name for f in dataclasses.fields(TrainingOptions)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
KNOWN = [f.name for f in dataclasses.fields(TrainingOptions)]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) and math.isfinite(value)


def _check(source, key, value, valid, wanted):
    if not valid(value):
        raise UserError(f"{source}: {key!r} must be {wanted}, not {json.dumps(value)}")


def _integer(minimum):
    return lambda v: _is_int(v) and v >= minimum


def _number(minimum, maximum=math.inf, inclusive_minimum=True):
    def valid(v):
        return _is_number(v) and (v >= minimum if inclusive_minimum else v > minimum) and v <= maximum
    return valid


def _name_list(source, key, value, choices, what):
    """A list (or comma-separated string) of names from `choices`, without repeats."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    _check(source, key, value, lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v),
           f"a list (or comma-separated string) of {', '.join(choices)}")
    for name in value:
        if name not in choices:
            raise UserError(f"{source}: {key!r} {what} {name!r} is unknown (choose from {', '.join(choices)})")
    return tuple(dict.fromkeys(value))


# key -> (is it valid, what it must be)
CHECKS = {
    "dataset_file_pattern": (lambda v: isinstance(v, str) and v.strip() != "", "a glob pattern string"),
    "resolution": (lambda v: v in TILE_RESOLUTIONS and _is_int(v), "a power of two from 4 to 1024"),
    "replica_batch_size": (_integer(1), "a positive integer"),
    "epoch_sample_count": (_integer(1), "a positive integer"),
    "total_sample_count": (_integer(1), "a positive integer"),
    "learning_rate": (_number(0, inclusive_minimum=False), "a positive number"),
    "latent_size": (_integer(1), "a positive integer"),
    "beta_1": (_number(0, 1 - 1e-9), "a number in [0, 1)"),
    "beta_2": (_number(0, 1 - 1e-9), "a number in [0, 1)"),
    "seed": (_integer(0), "a non-negative integer"),
    "channel_scale": (_number(0, 1, inclusive_minimum=False), "a number in (0, 1]"),
    "r1_gamma": (_number(0), "a non-negative number"),
    "d_reg_interval": (_integer(1), "a positive integer"),
    "ema_kimg": (lambda v: v is None or _number(0)(v), "a non-negative number (0 or null: no moving average)"),
    "augment_probability": (lambda v: v == "adaptive" or _number(0, 1)(v), 'a number in [0, 1] or "adaptive"'),
    "ada_target": (_number(0, 1, inclusive_minimum=False), "a number in (0, 1]"),
    "ada_kimg": (_number(0, inclusive_minimum=False), "a positive number"),
    "ada_interval": (_integer(1), "a positive integer"),
    "mixed_precision": (lambda v: isinstance(v, bool), "true or false"),
    "xla": (lambda v: isinstance(v, bool), "true or false"),
    "devices": (lambda v: v in DEVICE_MODES, " or ".join(f'"{m}"' for m in DEVICE_MODES)),
    "keep_checkpoints": (lambda v: v is None or _integer(1)(v), "a positive integer or null (keep all)"),
    "optimizer_state_in": (lambda v: v in ("newest", "all"), '"newest" or "all"'),
    "shuffle_buffer": (_integer(1), "a positive integer"),
    "fakes_grid": (lambda v: v is None or _integer(1)(v), "a positive integer (images per side) or null"),
    "metrics_interval": (lambda v: v is None or _integer(1)(v), "a positive integer (epochs) or null"),
    "metrics_images": (_integer(2), "an integer of at least 2"),
    "inception_weights": (lambda v: v is None or (isinstance(v, str) and v.strip() != ""),
                          "the path of an .h5 file, or null (Keras downloads the ImageNet weights)"),
    "ppl_pairs": (_integer(2), "an integer of at least 2"),
    "jumps_loops": (_integer(1), "a positive integer"),
    "jumps_frames": (_integer(round(1 / JUMPS_TOP_SHARE)),
                     f"an integer of at least {round(1 / JUMPS_TOP_SHARE)} (so that its largest "
                     f"{JUMPS_TOP_SHARE:.0%} is a step at least)"),
}


def parse_options(values, source=OPTIONS_FILE):
    """`TrainingOptions` from a dict as read from options.json; a UserError for the first problem."""
    if not isinstance(values, dict):
        raise UserError(f"{source}: must hold a JSON object of options, not {type(values).__name__}")
    for key in values:
        if key not in KNOWN:
            close = difflib.get_close_matches(key, KNOWN, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known keys: {', '.join(KNOWN)})"
            raise UserError(f"{source}: unknown key {key!r}{hint}")
    for key in REQUIRED:
        if key not in values:
            raise UserError(f"{source}: required key {key!r} is missing")
    values = dict(values)
    if "augment" in values:
        values["augment"] = _name_list(source, "augment", values["augment"], AUGMENT_POLICIES, "policy")
    if "metrics" in values:
        values["metrics"] = _name_list(source, "metrics", values["metrics"], METRIC_NAMES, "metric")
    for key, value in values.items():
        if key in CHECKS:
            _check(source, key, value, *CHECKS[key])
    if values.get("ema_kimg") == 0:
        values["ema_kimg"] = None
    options = TrainingOptions(**values)
    if options.total_sample_count % options.epoch_sample_count:
        raise UserError(f"{source}: 'total_sample_count' ({options.total_sample_count}) must be a multiple "
                        f"of 'epoch_sample_count' ({options.epoch_sample_count})")
    check_batch_sizes(options, replicas=1, source=source)
    return options


def check_batch_sizes(options, replicas, source=OPTIONS_FILE):
    """The divisibility the loop needs, once the number of replicas is known."""
    global_batch = options.replica_batch_size * replicas
    if options.epoch_sample_count % global_batch:
        across = f" x {replicas} replicas = {global_batch}" if replicas > 1 else ""
        raise UserError(f"{source}: 'epoch_sample_count' ({options.epoch_sample_count}) must be a multiple "
                        f"of the batch size ('replica_batch_size' {options.replica_batch_size}{across})")
    group = min(4, options.replica_batch_size)
    if options.replica_batch_size % group:
        raise UserError(f"{source}: 'replica_batch_size' ({options.replica_batch_size}) must be a multiple "
                        "of 4 (the discriminator's minibatch-stddev groups), or at most 4")


def load_options(run_dir):
    """The options of a run folder (`<run_dir>/options.json`)."""
    path = Path(run_dir) / OPTIONS_FILE
    if path.is_dir():
        raise UserError(f"{path}: is a folder; the run folder's options must be a JSON file "
                        "(see train/options.json for an example)")
    if not path.is_file():
        raise UserError(f"{path}: not found; a run folder must hold an options.json "
                        "(see train/options.json for an example)")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error})") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_options(values, source=str(path))


def dataset_files(pattern, source=OPTIONS_FILE):
    """The shard files a `dataset_file_pattern` matches (relative patterns from the current folder, as
    in the original), in a stable order; a UserError if there are none, or if a folder holding them was
    left incomplete by tfrecord.py. `*`, `?` and `**` are wildcards; `[` is an ordinary character, as
    folder names hold it (`scans [2024]`) far more often than patterns use character sets."""
    expanded = str(Path(pattern).expanduser())
    files = natural_sorted(p for p in glob.glob(expanded.replace("[", "[[]"), recursive=True) if Path(p).is_file())
    if not files:
        hint = (f"; it is a folder, name its shards, e.g. {str(Path(expanded) / '*.tfrecord')!r}"
                if Path(expanded).is_dir() else f" (relative patterns start from {Path.cwd()})")
        raise UserError(f"{source}: 'dataset_file_pattern' {pattern!r} matches no file{hint}")
    for folder in dict.fromkeys(Path(f).parent for f in files):
        require_complete(folder, "shard folder")
    return files
