"""Blend a folder of coloured drawings: on a GPU with the CUDA kernel of blend.cu, else on every CPU core.

    nvcc -shared -o blend.so blend.cu --compiler-options '-fPIC'
    python blend.py blob_filled --dir_out=blob_blended

Every pixel becomes the mean of its 3x3 neighbourhood (the neighbours inside the image, rounded down),
which softens the edges between regions; the same as the --blend of blob_fill.py and spec_fill.py, and
bit-identical on GPU and CPU. For large datasets:
- blend.so beside this script (or --library) is loaded with ctypes and blends --batch images per
  kernel launch, reading and writing PNGs on every core meanwhile;
- without blend.so, blend.cu is compiled at run time by pycuda where it is installed
  (pip install -r requirements-gpu.txt);
- with neither, or without a usable CUDA device, blend.py says why and blends on every CPU core
  (--gpu makes that an error instead; --cpu skips the GPU).
Outputs are RGB PNGs named like the inputs, in --dir_out (default: out, as the original's), described by
out.json beside it. An input folder whose fill was interrupted is refused, naming the command that
finishes it.
"""
import argparse
import functools
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing.cli import positive_int, run
from drawing.console import warn
from drawing.errors import UserError
from drawing.files import list_images
from drawing.fill.blend import BlendUnavailable, GpuBlendError, blend_batch_cpu, blend_cpu, load_gpu_blend
from drawing.fill.colour import open_fill_output
from drawing.folders import command_line, require_complete, write_record
from drawing.images import FAST_PNG, read_image, write_png
from drawing.parallel import Failure, default_workers, parallel_map, report_failures

HERE = Path(__file__).resolve().parent
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
                warn(f"{error}; blending the rest on the CPU")
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
                    warn(f"{failure.message}; going on with the rest")
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


def choose_gpu_blend(library, cpu, require_gpu):
    """The GPU blend to use, or None for the CPU (after saying why)."""
    if cpu:
        return None
    try:
        gpu_blend = load_gpu_blend(library, HERE / "blend.cu")
    except BlendUnavailable as reason:
        if require_gpu:
            raise
        warn(f"{reason}; blending on the CPU instead")
        return None
    print(f"blending with the {gpu_blend.describe()}")
    return gpu_blend


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", type=Path, help="folder of coloured images (PNG), e.g. blob_filled")
    parser.add_argument("--dir_out", type=Path, default=Path("out"),
                        help="output folder (default: %(default)s, as the original's; never the input folder), "
                             "e.g. blob_blended; its record is <dir_out>.json beside it")
    parser.add_argument("--library", type=Path, default=HERE / "blend.so",
                        help="the compiled kernel (default: blend.so beside this script), e.g. /opt/blend.so")
    parser.add_argument("--batch", type=positive_int, default=32,
                        help="images per kernel launch (default 32: about 200 MB of GPU memory at 1024 px)")
    devices = parser.add_mutually_exclusive_group()
    devices.add_argument("--cpu", action="store_true", help="blend on the CPU cores even where a GPU is usable")
    devices.add_argument("--gpu", action="store_true",
                         help="require the GPU: a missing blend.so, a missing device or a CUDA error is an "
                              "error instead of a fall-back to the CPU")
    args = parser.parse_args()
    if args.batch > MAX_BATCH:
        raise UserError(f"--batch {args.batch}: at most {MAX_BATCH} images fit in one launch")
    dir_out = args.dir_out

    drawings = list_images(args.dir_in)
    require_complete(args.dir_in)
    open_fill_output(dir_out, "blend.py", [args.dir_in], settings={"input": Path(args.dir_in)})
    record = {"stage": "blend.py", "command": command_line(), "input": str(args.dir_in)}
    write_record(dir_out, record, complete=False)
    gpu_blend = choose_gpu_blend(args.library, args.cpu, args.gpu)
    if gpu_blend is None:
        results = blend_folder_on_cpu(drawings, dir_out)
    else:
        results = blend_folder_on_gpu(gpu_blend, drawings, dir_out, args.batch, args.gpu)
    report_failures(results, what="image")
    write_record(dir_out, record, complete=True)
    print(f"blended images in {dir_out}")


if __name__ == "__main__":
    run(main)
