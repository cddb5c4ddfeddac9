// The 3x3 blend of fill/ as a CUDA kernel, called from Python through ctypes (drawing/fill/blend.py).
//
// Build, from fill/:
//     nvcc -shared -o blend.so blend.cu --compiler-options '-fPIC'
//
// Every output value is the integer mean of the 3x3 neighbourhood of the same channel, counting only
// the neighbours inside the image (9 inside, 6 on an edge, 4 in a corner), rounded down: exactly the
// rule of drawing.fill.blend.blend_cpu, so GPU and CPU results are bit-identical.
//
// Exported C functions (each returns 0 on success, otherwise a cudaError_t code, and writes a one-line
// explanation into `message`, at most `message_size` bytes with the terminating zero):
//     int blend_probe(char *message, int message_size)
//         Is there a usable CUDA device? Called once when the library is loaded.
//     int blend_batch(const unsigned char *images, unsigned char *blended,
//                     int count, int height, int width, int channels,
//                     char *message, int message_size)
//         Blend `count` images of height x width x channels bytes each (contiguous, row-major, channels
//         last) in one launch. Device memory for the batch is allocated here and freed before returning.
//     void blend_on_host(const unsigned char *images, unsigned char *blended,
//                        int count, int height, int width, int channels)
//         The same per-pixel code run on the CPU, so the test suite can check the kernel's arithmetic on a
//         machine without a GPU.
// The kernel `blend3x3_kernel` is extern "C" so that pycuda can also compile this file and launch it.
#include <cuda_runtime.h>
#include <stdio.h>

#define BLOCK_WIDTH 32
#define BLOCK_HEIGHT 8
// gridDim.z (one slice per image) may not exceed this.
#define MAX_IMAGES_PER_LAUNCH 65535

// One output pixel, all channels. __host__ __device__: the kernel and blend_on_host share this code.
__host__ __device__ static inline void blend_pixel(const unsigned char *images, unsigned char *blended,
                                                   int image, int y, int x,
                                                   int height, int width, int channels) {
    const size_t image_offset = (size_t)image * height * width * channels;
    const int top = y > 0 ? y - 1 : 0;
    const int bottom = y < height - 1 ? y + 1 : height - 1;
    const int left = x > 0 ? x - 1 : 0;
    const int right = x < width - 1 ? x + 1 : width - 1;
    const unsigned int inside = (unsigned int)((bottom - top + 1) * (right - left + 1));
    for (int channel = 0; channel < channels; ++channel) {
        unsigned int sum = 0;
        for (int row = top; row <= bottom; ++row) {
            for (int column = left; column <= right; ++column) {
                sum += images[image_offset + ((size_t)row * width + column) * channels + channel];
            }
        }
        blended[image_offset + ((size_t)y * width + x) * channels + channel] = (unsigned char)(sum / inside);
    }
}

// One thread per pixel: x and y from the 2-D block grid, the image from the grid's z index.
extern "C" __global__ void blend3x3_kernel(const unsigned char *images, unsigned char *blended,
                                           int count, int height, int width, int channels) {
    const int x = blockIdx.x * blockDim.x + threadIdx.x;
    const int y = blockIdx.y * blockDim.y + threadIdx.y;
    const int image = blockIdx.z;
    if (x < width && y < height && image < count) {
        blend_pixel(images, blended, image, y, x, height, width, channels);
    }
}

static int fail(cudaError_t status, const char *step, char *message, int message_size) {
    if (message != NULL && message_size > 0) {
        snprintf(message, (size_t)message_size, "%s: %s (%s)", step, cudaGetErrorString(status),
                 cudaGetErrorName(status));
    }
    return (int)status;
}

extern "C" int blend_probe(char *message, int message_size) {
    int devices = 0;
    cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess) {
        return fail(status, "cudaGetDeviceCount", message, message_size);
    }
    if (devices == 0) {
        return fail(cudaErrorNoDevice, "cudaGetDeviceCount", message, message_size);
    }
    // Creates the context now, so that a broken driver shows here rather than in the first batch.
    status = cudaFree(0);
    if (status != cudaSuccess) {
        return fail(status, "cudaFree(0), creating the CUDA context", message, message_size);
    }
    return 0;
}

extern "C" int blend_batch(const unsigned char *images, unsigned char *blended,
                           int count, int height, int width, int channels,
                           char *message, int message_size) {
    if (count < 1 || count > MAX_IMAGES_PER_LAUNCH || height < 1 || width < 1 || channels < 1) {
        return fail(cudaErrorInvalidValue, "blend_batch arguments (count 1..65535, positive sizes)",
                    message, message_size);
    }
    const size_t bytes = (size_t)count * height * width * channels;
    unsigned char *device_images = NULL;
    unsigned char *device_blended = NULL;
    cudaError_t status;
    const char *step;

    step = "cudaMalloc (input batch)";
    status = cudaMalloc((void **)&device_images, bytes);
    if (status != cudaSuccess) goto done;
    step = "cudaMalloc (output batch)";
    status = cudaMalloc((void **)&device_blended, bytes);
    if (status != cudaSuccess) goto done;
    step = "cudaMemcpy host to device";
    status = cudaMemcpy(device_images, images, bytes, cudaMemcpyHostToDevice);
    if (status != cudaSuccess) goto done;
    {
        const dim3 block(BLOCK_WIDTH, BLOCK_HEIGHT, 1);
        const dim3 grid((width + BLOCK_WIDTH - 1) / BLOCK_WIDTH, (height + BLOCK_HEIGHT - 1) / BLOCK_HEIGHT,
                        count);
        blend3x3_kernel<<<grid, block>>>(device_images, device_blended, count, height, width, channels);
    }
    step = "launching blend3x3_kernel";
    status = cudaGetLastError();
    if (status != cudaSuccess) goto done;
    step = "running blend3x3_kernel";
    status = cudaDeviceSynchronize();
    if (status != cudaSuccess) goto done;
    step = "cudaMemcpy device to host";
    status = cudaMemcpy(blended, device_blended, bytes, cudaMemcpyDeviceToHost);

done:
    // Freed on every path; a failure to free is reported only when nothing failed before it.
    {
        const cudaError_t freed_images = device_images ? cudaFree(device_images) : cudaSuccess;
        const cudaError_t freed_blended = device_blended ? cudaFree(device_blended) : cudaSuccess;
        if (status == cudaSuccess && freed_images != cudaSuccess) {
            status = freed_images;
            step = "cudaFree (input batch)";
        }
        if (status == cudaSuccess && freed_blended != cudaSuccess) {
            status = freed_blended;
            step = "cudaFree (output batch)";
        }
    }
    return status == cudaSuccess ? 0 : fail(status, step, message, message_size);
}

extern "C" void blend_on_host(const unsigned char *images, unsigned char *blended,
                              int count, int height, int width, int channels) {
    for (int image = 0; image < count; ++image) {
        for (int y = 0; y < height; ++y) {
            for (int x = 0; x < width; ++x) {
                blend_pixel(images, blended, image, y, x, height, width, channels);
            }
        }
    }
}
