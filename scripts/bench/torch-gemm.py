"""The GEMM rate of PyTorch's own BLAS at the transformer's `linear` shapes, one thread.

Each shape is timed as a training step uses it: y = x·W, dW = xᵀ·g, dx = g·Wᵀ (the same three
calls and FLOPs as the `linear` rows of `lmsweep bench --sections ops`), best of 7 runs of 10.
Compare with the raw cblas_sgemm rows of `lmsweep bench`'s ceiling, run in the same minute:

    PYTHON=~/torch-venv/bin/python
    $PYTHON scripts/bench/torch-gemm.py
"""
import time

import torch

SHAPES = {"qkv": (8192, 128, 384), "out": (8192, 128, 128), "ffn1": (8192, 128, 256), "ffn2": (8192, 256, 128)}


def rate(m, k, n):
    x, w, g = torch.randn(m, k), torch.randn(k, n), torch.randn(m, n)

    def step():
        x @ w
        x.t() @ g
        g @ w.t()

    for _ in range(5):
        step()
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(10):
            step()
        best = min(best, (time.perf_counter() - start) / 10)
    return 3 * 2 * m * k * n / best / 1e9


if __name__ == "__main__":
    torch.set_num_threads(1)
    blas = next((line.strip().lstrip("- ") for line in torch.__config__.show().splitlines() if "Math Kernel" in line or "OpenBLAS" in line), "unknown BLAS")
    print(f"PyTorch {torch.__version__}, {blas}, 1 thread")
    for name, (m, k, n) in SHAPES.items():
        print(f"linear {name:<5} {m}×{k}→{n} fwd+bwd {rate(m, k, n):7.1f} GFLOP/s")
