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
from pathlib import Path

import _venv  # noqa: F401  (first: says what to run where the project's packages are missing)

from drawing.cli import ArgumentParser, positive_int, run
from drawing.errors import UserError
from drawing.fill.blend_folder import MAX_BATCH, blend_folder

HERE = Path(__file__).resolve().parent


def main():
    parser = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir_in", type=Path, help="folder of coloured images (PNG), e.g. blob_filled")
    parser.add_argument("--dir_out", type=Path, default=Path("out"),
                        help="output folder (default: %(default)s, as the original's; never the input folder), "
                             "e.g. blob_blended; its record is <dir_out>.json beside it")
    parser.add_argument("--library", type=Path, default=HERE / "blend.so",
                        help="the compiled kernel (default: blend.so beside this script), e.g. /opt/blend.so")
    parser.add_argument("--batch", type=positive_int, default=32,
                        help="images per kernel launch (default %(default)s: about 200 MB of GPU memory at 1024 px)")
    devices = parser.add_mutually_exclusive_group()
    devices.add_argument("--cpu", action="store_true", help="blend on the CPU cores even where a GPU is usable")
    devices.add_argument("--gpu", action="store_true",
                         help="require the GPU: a missing blend.so, a missing device or a CUDA error is an "
                              "error instead of a fall-back to the CPU")
    args = parser.parse_args()
    if args.batch > MAX_BATCH:
        raise UserError(f"--batch {args.batch}: at most {MAX_BATCH} images fit in one launch")

    blend_folder(args.dir_in, args.dir_out, args.library, HERE / "blend.cu", batch_size=args.batch, cpu=args.cpu,
                 require_gpu=args.gpu)
    print(f"blended images in {args.dir_out}")


if __name__ == "__main__":
    run(main)
