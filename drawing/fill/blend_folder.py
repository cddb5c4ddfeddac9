"""blend.py's work: blend a folder of coloured drawings on a GPU (drawing/fill/blend.py) or on every CPU core.

On the GPU, batches of images go to the kernel one launch per image size while threads decode the next
batch and encode the last one; a CUDA error sends the rest to the CPU (or, when the GPU is required,
stops the run). The output folder is described by its record beside it, like a fill's.
"""
import functools
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing.errors import UserError
from drawing.files import list_images
from drawing.fill.blend import BlendUnavailable, GpuBlendError, blend_batch_cpu, blend_cpu, load_gpu_blend
from drawing.fill.folder import open_fill_output
from drawing.folders import command_line, require_complete, write_record
from drawing.images import FAST_PNG, read_image, write_png
from drawing.parallel import Failure, default_workers, parallel_map, report_failures

log = logging.getLogger(__name__)

# gridDim.z of one launch (one slice per image) may not exceed 65535.
MAX_BATCH = 65535


def blend_file(dir_out, path):
    """Blend one image file on the CPU into `dir_out`."""
    write_png(Path(dir_out) / path.name, blend_cpu(read_image(path, "RGB")), **FAST_PNG)


def blend_folder_on_cpu(drawings, dir_out):
    return parallel_map(functools.partial(blend_file, dir_out), drawings,
                        desc="blend (CPU)", unit="image", keep_going=True)


def read_or_failure(path):
    try:
        return read_image(path, "RGB")
    except UserError as error:
        return Failure(path, str(error))


def batches_of(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def blend_batch_on_gpu(gpu_blend, images, require_gpu):
    """Blend a list of images, one launch per image size: (the blended images, the GPU blend to go on
    with, or None after a CUDA error)."""
    blended = [None] * len(images)
    by_shape = {}
    for index, image in enumerate(images):
        by_shape.setdefault(image.shape, []).append(index)
    for indices in by_shape.values():
        stack = np.stack([images[index] for index in indices])
        if gpu_blend is not None:
            try:
                stack = gpu_blend(stack)
            except GpuBlendError as error:
                if require_gpu:
                    raise
                log.warning(f"{error}; blending the rest on the CPU")
                gpu_blend = None
        if gpu_blend is None:
            stack = blend_batch_cpu(stack)
        for index, image in zip(indices, stack):
            blended[index] = image
    return blended, gpu_blend


def blend_folder_on_gpu(gpu_blend, drawings, dir_out, batch_size, require_gpu):
    """Blend batches on the GPU while threads decode the next batch and encode the last one."""
    results = []
    with ThreadPoolExecutor(default_workers()) as io_pool, \
            tqdm(total=len(drawings), desc="blend (GPU)", unit="image", disable=None, file=sys.stderr) as bar:
        batches = batches_of(drawings, batch_size)
        next_images = io_pool.map(read_or_failure, batches[0])
        writing = []
        for number, batch in enumerate(batches):
            images = list(next_images)
            if number + 1 < len(batches):
                next_images = io_pool.map(read_or_failure, batches[number + 1])
            readable = [(path, image) for path, image in zip(batch, images) if not isinstance(image, Failure)]
            for failure in images:
                if isinstance(failure, Failure):
                    log.warning(f"{failure.message}; going on with the rest")
                    results.append(failure)
            blended, gpu_blend = blend_batch_on_gpu(gpu_blend, [image for _, image in readable], require_gpu)
            for written in writing:
                written.result()
            writing = [io_pool.submit(write_png, Path(dir_out) / path.name, image, **FAST_PNG)
                       for (path, _), image in zip(readable, blended)]
            results.extend(path for path, _ in readable)
            bar.update(len(batch))
        for written in writing:
            written.result()
    return results


def choose_gpu_blend(library, source, cpu, require_gpu):
    """The GPU blend to use (blend.so at `library`, else blend.cu at `source` through pycuda), or None for
    the CPU (after saying why)."""
    if cpu:
        return None
    try:
        gpu_blend = load_gpu_blend(library, source)
    except BlendUnavailable as reason:
        if require_gpu:
            raise
        log.warning(f"{reason}; blending on the CPU instead")
        return None
    log.info(f"blending with the {gpu_blend.describe()}")
    return gpu_blend


def blend_folder(dir_in, dir_out, library, source, batch_size=32, cpu=False, require_gpu=False):
    """Blend every image of `dir_in` into `dir_out`: on the GPU in batches of `batch_size` (at most
    MAX_BATCH) where `library` or `source` can be used and `cpu` is off, else on every CPU core;
    `require_gpu` makes a GPU that cannot be used, or fails, an error instead."""
    drawings = list_images(dir_in)
    require_complete(dir_in)
    open_fill_output(dir_out, "blend.py", [dir_in], settings={"input": Path(dir_in)})
    record = {"stage": "blend.py", "command": command_line(), "input": str(dir_in)}
    write_record(dir_out, record, complete=False)
    gpu_blend = choose_gpu_blend(library, source, cpu, require_gpu)
    if gpu_blend is None:
        results = blend_folder_on_cpu(drawings, dir_out)
    else:
        results = blend_folder_on_gpu(gpu_blend, drawings, dir_out, batch_size, require_gpu)
    report_failures(results, what="image")
    write_record(dir_out, record, complete=True)
