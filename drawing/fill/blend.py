"""The 3x3 blend of fill/: on the CPU with OpenCV, or on a GPU with `fill/blend.cu`.

The rule, the same on both: every output value is the integer mean of the 3x3 neighbourhood of the same
channel, counting only the neighbours inside the image (9 inside, 6 on an edge, 4 in a corner), rounded
down. GPU and CPU results are therefore bit-identical.

The GPU blend is `fill/blend.cu` built into `fill/blend.so` and called through ctypes (its C interface is
documented at the top of blend.cu), or, where no blend.so exists and pycuda is installed, blend.cu
compiled by pycuda at run time. `load_gpu_blend` returns one of the two, or raises `BlendUnavailable`
with a one-line reason (no library, not a shared library, wrong architecture, a missing function, no
CUDA device), after which callers fall back to `blend_cpu`. A CUDA error during a batch raises
`GpuBlendError`.
"""
import atexit
import ctypes
import sys
from pathlib import Path

import cv2
import numpy as np

from drawing.errors import UserError

BUILD_COMMAND = "nvcc -shared -o blend.so blend.cu --compiler-options '-fPIC'"
KERNEL_NAME = "blend3x3_kernel"
BLOCK_SHAPE = (32, 8, 1)
# Room for cudaGetErrorString and the name of the failing step.
MESSAGE_SIZE = 512


class BlendUnavailable(UserError):
    """The GPU blend cannot be used here; the message says why in one line."""


class GpuBlendError(UserError):
    """A CUDA call failed while blending a batch."""


def neighbours_inside(length):
    """How many of the 3 neighbours along an axis (the pixel itself included) lie inside it: 2, 3, ..., 3, 2."""
    position = np.arange(length)
    return (np.minimum(position + 1, length - 1) - np.maximum(position - 1, 0) + 1).astype(np.uint16)


def blend_cpu(image):
    """The 3x3 blend of one uint8 image (height x width, or height x width x channels)."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape[:2]
    # 9 x 255 fits in 16 bits; outside the image counts as zero, and the count below leaves it out.
    sums = cv2.boxFilter(image, cv2.CV_16U, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT)
    inside = np.outer(neighbours_inside(height), neighbours_inside(width))
    if image.ndim == 3:
        inside = inside[:, :, np.newaxis]
    return (sums // inside).astype(np.uint8)


def blend_batch_cpu(batch):
    """`blend_cpu` of every image of a count x height x width x channels batch."""
    return np.stack([blend_cpu(image) for image in batch])


def _check_batch(batch):
    batch = np.ascontiguousarray(batch, dtype=np.uint8)
    if batch.ndim != 4:
        raise ValueError(f"a batch is count x height x width x channels, not shape {batch.shape}")
    return batch


def _grid(batch):
    count, height, width, _ = batch.shape
    return (-(-width // BLOCK_SHAPE[0]), -(-height // BLOCK_SHAPE[1]), count)


# ELF e_machine numbers of the usual processors, for a readable "wrong architecture" message.
ELF_MACHINES = {3: "x86", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 40: "ARM", 62: "x86-64",
                183: "AArch64", 243: "RISC-V"}


def elf_kind(path):
    """(word size, processor) of an ELF file, or None when it is not ELF."""
    with open(path, "rb") as file:
        header = file.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    bits = {1: "32-bit", 2: "64-bit"}.get(header[4], "unknown word size")
    machine = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return bits, ELF_MACHINES.get(machine, f"ELF machine {machine}")


def library_problem(path):
    """Why `path` cannot be a shared library for this Python, when that shows in its header; else None.

    dlopen's own message for a library of another architecture is "No such file or directory".
    """
    if not sys.platform.startswith("linux"):
        return None
    kind = elf_kind(path)
    if kind is None:
        return "not a shared library (no ELF header)"
    own_kind = elf_kind(sys.executable)
    if own_kind is not None and kind != own_kind:
        return f"built for {' '.join(kind)}, but this Python runs on {' '.join(own_kind)}"
    return None


class CtypesBlend:
    """blend.so loaded with ctypes; calling it blends a batch in one kernel launch."""

    def __init__(self, library_path):
        self.path = Path(library_path)
        if not self.path.is_file():
            raise BlendUnavailable(f"{self.path}: not found; build it in fill/ with: {BUILD_COMMAND}")
        problem = library_problem(self.path)
        if problem:
            raise BlendUnavailable(f"{self.path}: {problem}; rebuild it here with: {BUILD_COMMAND}")
        try:
            library = ctypes.CDLL(str(self.path.resolve()))
        except OSError as error:
            raise BlendUnavailable(f"{self.path}: cannot be loaded as a shared library for this machine "
                                   f"({error}); rebuild it with: {BUILD_COMMAND}") from None
        try:
            self.probe = library.blend_probe
            self.blend_batch = library.blend_batch
        except AttributeError as error:
            raise BlendUnavailable(f"{self.path}: not built from blend.cu ({error}); "
                                   f"rebuild it with: {BUILD_COMMAND}") from None
        images = np.ctypeslib.ndpointer(dtype=np.uint8, flags="C_CONTIGUOUS")
        self.probe.argtypes = [ctypes.c_char_p, ctypes.c_int]
        self.probe.restype = ctypes.c_int
        self.blend_batch.argtypes = [images, images] + [ctypes.c_int] * 4 + [ctypes.c_char_p, ctypes.c_int]
        self.blend_batch.restype = ctypes.c_int
        message = ctypes.create_string_buffer(MESSAGE_SIZE)
        status = self.probe(message, MESSAGE_SIZE)
        if status != 0:
            raise BlendUnavailable(f"{self.path}: no usable CUDA device "
                                   f"({message.value.decode(errors='replace')}, code {status})")

    def describe(self):
        return f"CUDA kernel from {self.path}"

    def __call__(self, batch):
        batch = _check_batch(batch)
        blended = np.empty_like(batch)
        message = ctypes.create_string_buffer(MESSAGE_SIZE)
        status = self.blend_batch(batch, blended, *batch.shape, message, MESSAGE_SIZE)
        if status != 0:
            count, height, width, _ = batch.shape
            raise GpuBlendError(f"{self.path}: CUDA error {status} blending {count} images of "
                                f"{width} x {height}: {message.value.decode(errors='replace')}")
        return blended


class PycudaBlend:
    """blend.cu compiled at run time by pycuda (which calls nvcc); calling it blends a batch."""

    def __init__(self, source_path):
        self.path = Path(source_path)
        try:
            import pycuda.driver as cuda
            from pycuda.compiler import SourceModule
        except ImportError:
            raise BlendUnavailable("pycuda is not installed (pip install -r requirements-gpu.txt)") from None
        self.cuda = cuda
        try:
            cuda.init()
            if cuda.Device.count() == 0:
                raise BlendUnavailable("pycuda finds no CUDA device")
            self.context = cuda.Device(0).make_context()
        except cuda.Error as error:
            raise BlendUnavailable(f"pycuda cannot use a CUDA device ({error})") from None
        atexit.register(self.context.detach)
        try:
            # blend.cu declares its kernel extern "C" itself.
            module = SourceModule(self.path.read_text(), no_extern_c=True)
            self.kernel = module.get_function(KERNEL_NAME)
        except (cuda.Error, cuda.CompileError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise BlendUnavailable(f"{self.path}: pycuda cannot compile it ({first_line})") from None
        finally:
            self.context.pop()

    def describe(self):
        return f"CUDA kernel compiled by pycuda from {self.path}"

    def __call__(self, batch):
        batch = _check_batch(batch)
        blended = np.empty_like(batch)
        cuda = self.cuda
        self.context.push()
        device_buffers = []
        try:
            device_images = cuda.mem_alloc(batch.nbytes)
            device_buffers.append(device_images)
            device_blended = cuda.mem_alloc(batch.nbytes)
            device_buffers.append(device_blended)
            cuda.memcpy_htod(device_images, batch)
            self.kernel(device_images, device_blended, *(np.int32(size) for size in batch.shape),
                        block=BLOCK_SHAPE, grid=_grid(batch))
            cuda.Context.synchronize()
            cuda.memcpy_dtoh(blended, device_blended)
        except cuda.Error as error:
            count, height, width, _ = batch.shape
            raise GpuBlendError(f"pycuda: CUDA error blending {count} images of {width} x {height}: "
                                f"{str(error).splitlines()[0]}") from None
        finally:
            for buffer in device_buffers:
                buffer.free()
            self.context.pop()
        return blended


def load_gpu_blend(library_path, source_path):
    """The GPU blend: `library_path` (blend.so) through ctypes if the file exists, else `source_path`
    (blend.cu) compiled by pycuda if pycuda is installed; BlendUnavailable saying why otherwise."""
    library_path = Path(library_path)
    if library_path.exists():
        return CtypesBlend(library_path)
    try:
        return PycudaBlend(source_path)
    except BlendUnavailable as reason:
        raise BlendUnavailable(f"{library_path}: not found (build it in fill/ with: {BUILD_COMMAND}), "
                               f"and {reason}") from None
