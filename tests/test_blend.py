"""The 3x3 blend: the CPU rule, the ctypes loader's error paths, blend.cu's build, and blend.py."""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest
from helpers import REPO, run_script
from PIL import Image

from drawing.fill.blend import (
    BUILD_COMMAND,
    BlendUnavailable,
    CtypesBlend,
    GpuBlendError,
    blend_batch_cpu,
    blend_cpu,
    load_gpu_blend,
)

GCC = shutil.which("gcc")
NVCC = shutil.which("nvcc")
needs_gcc = pytest.mark.skipif(GCC is None, reason="gcc is not installed")


def blend_by_definition(image):
    """The rule, pixel by pixel: the floor of the mean of the 3x3 neighbours inside the image."""
    image = image.astype(np.int64)
    height, width = image.shape[:2]
    blended = np.empty_like(image)
    for y in range(height):
        for x in range(width):
            window = image[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2]
            blended[y, x] = window.sum(axis=(0, 1)) // (window.shape[0] * window.shape[1])
    return blended.astype(np.uint8)


def blend_with_numpy(image):
    """The rule with padding: sums of the nine shifted copies over the count of real pixels among them."""
    height, width = image.shape[:2]
    padding = [(1, 1), (1, 1)] + [(0, 0)] * (image.ndim - 2)
    values = np.pad(image.astype(np.int64), padding)
    inside = np.pad(np.ones((height, width), np.int64), 1)
    shifts = [(dy, dx) for dy in range(3) for dx in range(3)]
    sums = sum(values[dy:dy + height, dx:dx + width] for dy, dx in shifts)
    counts = sum(inside[dy:dy + height, dx:dx + width] for dy, dx in shifts)
    if image.ndim == 3:
        counts = counts[:, :, np.newaxis]
    return (sums // counts).astype(np.uint8)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 6, 3), (5, 1, 3), (2, 2, 3), (7, 9, 3), (7, 9, 4), (7, 9)])
def test_blend_cpu_follows_the_definition_at_every_border(shape):
    image = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_array_equal(blend_cpu(image), blend_by_definition(image))


@pytest.mark.parametrize("seed", range(3))
def test_blend_cpu_equals_the_numpy_reference_on_random_images(seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (int(rng.integers(3, 90)), int(rng.integers(3, 90)), 3), dtype=np.uint8)
    np.testing.assert_array_equal(blend_cpu(image), blend_with_numpy(image))


def blend_in_place_as_the_originals_cpu_blend(image):
    """The original's CPU --blend (blob_fill.py): column by column, each mean written back at once, so later
    pixels average neighbours already blended; a neighbour outside the image counts as the centre pixel."""
    image = image.astype(np.int64)
    height, width = image.shape[:2]
    for x in range(width):
        for y in range(height):
            total = 0
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    inside = 0 <= x + dx < width and 0 <= y + dy < height
                    total = total + (image[y + dy, x + dx] if inside else image[y, x])
            image[y, x] = total // 9
    return image.astype(np.uint8)


def test_the_blend_differs_from_the_originals_cpu_blend_and_the_fills_say_so():
    from drawing.fill.folder import regions_note
    image = np.random.default_rng(5).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    assert (blend_cpu(image) != blend_in_place_as_the_originals_cpu_blend(image)).mean() > 0.5
    # one note line for the fills: the regions' differences and the blend's together
    both = regions_note(2, 16, blend=True)
    assert both.startswith("note: line breaks up to 2 px") and "original's regions exactly" in both
    assert "unblended 3x3 neighbours" in both and "in place" in both and "\n" not in both
    assert regions_note(0, 0, blend=True).startswith("note: --blend averages")
    assert regions_note(0, 0, blend=False) is None and "--blend" not in regions_note(2, 16)


def test_blend_keeps_flat_colour_and_extremes():
    assert (blend_cpu(np.full((4, 5, 3), 255, np.uint8)) == 255).all()
    assert (blend_cpu(np.full((4, 5, 3), 7, np.uint8)) == 7).all()


# ---- the ctypes loader ----

def compile_with_gcc(source, library, *defines):
    source_path = library.with_suffix(".c")
    source_path.write_text(source)
    subprocess.run([GCC, "-shared", "-fPIC", *defines, "-o", str(library), str(source_path)], check=True)
    return library


# Stands in for blend.so on a machine without a GPU: the same C interface, the blend done on the CPU,
# and the failures of a CUDA call when asked for.
FAKE_CUDA_LIBRARY = r"""
#include <stdio.h>
#ifndef PROBE_STATUS
#define PROBE_STATUS 0
#endif
#ifndef FAIL_FROM_COUNT
#define FAIL_FROM_COUNT 1000000
#endif
int blend_probe(char *message, int size) {
    if (PROBE_STATUS) snprintf(message, size, "cudaGetDeviceCount: no CUDA-capable device is detected");
    return PROBE_STATUS;
}
int blend_batch(const unsigned char *in, unsigned char *out, int count, int height, int width, int channels,
                char *message, int size) {
    if (count >= FAIL_FROM_COUNT) {
        snprintf(message, size, "cudaMalloc (input batch): out of memory (cudaErrorMemoryAllocation)");
        return 2;
    }
    for (int i = 0; i < count; ++i) for (int y = 0; y < height; ++y) for (int x = 0; x < width; ++x)
    for (int c = 0; c < channels; ++c) {
        unsigned sum = 0, n = 0;
        for (int v = y - 1; v <= y + 1; ++v) for (int u = x - 1; u <= x + 1; ++u)
            if (v >= 0 && v < height && u >= 0 && u < width) {
                sum += in[(((size_t)i * height + v) * width + u) * channels + c]; ++n;
            }
        out[(((size_t)i * height + y) * width + x) * channels + c] = sum / n;
    }
    return 0;
}
"""


def test_missing_library_says_how_to_build_it(tmp_path):
    with pytest.raises(BlendUnavailable, match="not found.*nvcc -shared"):
        CtypesBlend(tmp_path / "blend.so")
    with pytest.raises(BlendUnavailable, match="not found.*pycuda"):
        load_gpu_blend(tmp_path / "blend.so", REPO / "fill" / "blend.cu")


def test_a_file_that_is_not_a_library(tmp_path):
    bogus = tmp_path / "blend.so"
    bogus.write_text("not a library")
    with pytest.raises(BlendUnavailable, match="not a shared library"):
        CtypesBlend(bogus)


@needs_gcc
def test_a_library_for_another_processor(tmp_path):
    library = bytearray(compile_with_gcc("int other(void) { return 1; }", tmp_path / "x86.so").read_bytes())
    library[18:20] = (183).to_bytes(2, "little")  # e_machine: AArch64
    foreign = tmp_path / "blend.so"
    foreign.write_bytes(bytes(library))
    with pytest.raises(BlendUnavailable, match="built for 64-bit AArch64"):
        CtypesBlend(foreign)


@needs_gcc
def test_a_library_without_the_functions(tmp_path):
    library = compile_with_gcc("int other(void) { return 1; }", tmp_path / "blend.so")
    with pytest.raises(BlendUnavailable, match="not built from blend.cu.*blend_probe"):
        CtypesBlend(library)


@needs_gcc
def test_no_cuda_device_is_reported_by_the_probe(tmp_path):
    library = compile_with_gcc(FAKE_CUDA_LIBRARY, tmp_path / "blend.so", "-DPROBE_STATUS=100")
    with pytest.raises(BlendUnavailable, match="no usable CUDA device.*no CUDA-capable device.*code 100"):
        load_gpu_blend(library, REPO / "fill" / "blend.cu")


@needs_gcc
def test_the_library_gets_the_batch_and_reports_cuda_errors(tmp_path):
    library = compile_with_gcc(FAKE_CUDA_LIBRARY, tmp_path / "blend.so", "-DFAIL_FROM_COUNT=3")
    gpu_blend = CtypesBlend(library)
    batch = np.random.default_rng(0).integers(0, 256, (2, 9, 11, 3), dtype=np.uint8)
    np.testing.assert_array_equal(gpu_blend(batch), blend_batch_cpu(batch))
    with pytest.raises(GpuBlendError, match="CUDA error 2 blending 3 images of 11 x 9: cudaMalloc.*out of memory"):
        gpu_blend(np.zeros((3, 9, 11, 3), np.uint8))


@pytest.fixture(scope="module")
def built_kernel(tmp_path_factory):
    """blend.cu built with the README's command, into a temporary folder (never into the repository)."""
    if NVCC is None:
        pytest.skip("nvcc is not installed")
    folder = tmp_path_factory.mktemp("nvcc")
    shutil.copy(REPO / "fill" / "blend.cu", folder / "blend.cu")
    subprocess.run(BUILD_COMMAND, shell=True, cwd=folder, check=True, capture_output=True)
    return folder / "blend.so"


def test_blend_cu_compiles_with_nvcc(built_kernel):
    library = ctypes.CDLL(str(built_kernel))
    for name in ("blend_probe", "blend_batch", "blend_on_host"):
        assert hasattr(library, name)


@pytest.mark.parametrize("shape", [(3, 1, 1, 3), (2, 5, 1, 3), (4, 17, 23, 3), (2, 8, 9, 4)])
def test_blend_cu_arithmetic_equals_the_cpu_rule(built_kernel, shape):
    """The kernel's per-pixel code (shared with blend_on_host) gives the CPU result bit for bit."""
    library = ctypes.CDLL(str(built_kernel))
    batch = np.random.default_rng(len(shape)).integers(0, 256, shape, dtype=np.uint8)
    blended = np.empty_like(batch)
    library.blend_on_host(batch.ctypes.data_as(ctypes.c_void_p), blended.ctypes.data_as(ctypes.c_void_p),
                          *map(ctypes.c_int, shape))
    np.testing.assert_array_equal(blended, blend_batch_cpu(batch))


def test_blend_cu_on_this_machine_runs_or_explains_why_not(built_kernel):
    """Without a GPU the probe explains why in one line; with one, the kernel matches the CPU."""
    try:
        gpu_blend = CtypesBlend(built_kernel)
    except BlendUnavailable as reason:
        assert "no usable CUDA device" in str(reason) and "\n" not in str(reason)
        return
    batch = np.random.default_rng(0).integers(0, 256, (5, 37, 70, 3), dtype=np.uint8)
    np.testing.assert_array_equal(gpu_blend(batch), blend_batch_cpu(batch))


# ---- blend.py, run from fill/ ----

@pytest.fixture
def coloured(tmp_path):
    folder = tmp_path / "coloured"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for index, shape in enumerate([(20, 30, 3), (20, 30, 3), (11, 7, 3), (20, 30, 3), (11, 7, 3)]):
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(folder / f"{index}.png")
    return folder


def assert_blended(dir_in, dir_out):
    for path in dir_in.iterdir():
        expected = blend_cpu(np.asarray(Image.open(path).convert("RGB")))
        np.testing.assert_array_equal(np.asarray(Image.open(dir_out / path.name)), expected)
    assert not [path for path in dir_out.iterdir() if path.name.startswith(".")]


def test_blend_script_falls_back_to_the_cpu_and_says_so(coloured, tmp_path):
    out = tmp_path / "out"
    completed = run_script("fill", "blend.py", coloured, f"--dir_out={out}", f"--library={tmp_path / 'none.so'}")
    assert "note:" not in completed.stderr   # the original's blend.py result: its blend.cu's rule is ours
    assert "not found" in completed.stderr and "blending on the CPU instead" in completed.stderr
    assert_blended(coloured, out)

    refused = run_script("fill", "blend.py", coloured, f"--dir_out={out}", f"--library={tmp_path / 'none.so'}",
                         "--gpu", check=False)
    assert refused.returncode == 1 and refused.stderr.strip().splitlines()[-1].startswith("error: ")


@needs_gcc
def test_blend_script_batches_on_the_gpu_library(coloured, tmp_path):
    library = compile_with_gcc(FAKE_CUDA_LIBRARY, tmp_path / "fake.so")
    out = tmp_path / "out"
    completed = run_script("fill", "blend.py", coloured, f"--dir_out={out}", f"--library={library}",
                           "--gpu", "--batch=2")
    assert "blending with the CUDA kernel" in completed.stdout
    assert_blended(coloured, out)


@needs_gcc
def test_blend_script_on_a_cuda_error(coloured, tmp_path):
    library = compile_with_gcc(FAKE_CUDA_LIBRARY, tmp_path / "fake.so", "-DFAIL_FROM_COUNT=2")
    out = tmp_path / "out"
    completed = run_script("fill", "blend.py", coloured, f"--dir_out={out}", f"--library={library}", "--batch=3")
    assert "out of memory" in completed.stderr and "blending the rest on the CPU" in completed.stderr
    assert_blended(coloured, out)

    strict = tmp_path / "strict"
    refused = run_script("fill", "blend.py", coloured, f"--dir_out={strict}", f"--library={library}",
                         "--batch=3", "--gpu", check=False)
    assert refused.returncode == 1
    assert "error: " in refused.stderr and "out of memory" in refused.stderr.strip().splitlines()[-1]
    assert not [path for path in strict.iterdir() if path.name.startswith(".")]


def test_blend_script_rejects_bad_input(coloured, tmp_path):
    (coloured / "9.png").write_text("not an image")
    out = tmp_path / "out"
    completed = run_script("fill", "blend.py", coloured, f"--dir_out={out}", "--cpu", check=False)
    assert completed.returncode == 1
    assert "9.png" in completed.stderr.strip().splitlines()[-1]
    assert (out / "0.png").exists() and not (out / "9.png").exists()
