"""Device choice, seeding and thread count, in one place so every trainer behaves the same.

Torch is about 200 MB of a process's memory, and the word models' CPU kernels (numba) never use
it. So nothing here imports Torch unless a device needs it: 'auto' is decided without it where no
GPU can be present, and seeding and thread counts reach Torch only when it is already loaded. The
Torch trainers (mlm, softmax, deep clustering, siamese) import Torch at the top of their modules,
so by the time their ``train`` calls :func:`seed_everything` and :func:`set_threads`, it is loaded
and gets its seed and thread count as before.
"""
from __future__ import annotations

import glob
import os
import random
import sys

import numba
import numpy as np

from models.errors import UserError

DEVICES = ("cpu", "cuda", "mps")


def _torch():
    import torch        # deferred: 200 MB that a CPU-only word model never needs

    return torch


def no_gpu_possible() -> bool:
    """Whether this machine certainly has no GPU Torch could use: on Linux, CUDA needs the
    /dev/nvidia* device nodes (under WSL, /dev/dxg) and ROCm /dev/kfd. Elsewhere only Torch can tell."""
    return (sys.platform.startswith("linux") and not glob.glob("/dev/nvidia*")
            and not any(os.path.exists(node) for node in ("/dev/dxg", "/dev/kfd")))


def available_devices() -> list[str]:
    if no_gpu_possible():
        return ["cpu"]
    torch = _torch()
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def device_name(name: str) -> str:
    """'cpu', 'cuda' or 'mps': 'auto' picks cuda when present; an unavailable device is a user
    error, not a crash. Torch is imported only where a GPU may be present or one is asked for."""
    name = (name or "auto").lower()
    if name == "auto":
        return "cuda" if "cuda" in available_devices() else "cpu"
    if name not in DEVICES:
        raise UserError(f"Unknown device '{name}'.", "Use cpu, cuda or auto.")
    if name != "cpu" and name not in available_devices():
        raise UserError(f"Device '{name}' is not available on this machine.",
                        f"Available: {', '.join(available_devices())}.")
    return name


def resolve_device(name: str):
    """The ``torch.device`` a Torch trainer runs on (see :func:`device_name`)."""
    return _torch().device(device_name(name))


def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    if "torch" in sys.modules:      # a trainer that uses Torch has imported it by now (see the module's note)
        sys.modules["torch"].manual_seed(seed)
    return np.random.default_rng(seed)


def set_threads(n: int) -> int:
    """Use n threads for numba kernels, and for Torch's where it is loaded (0 = all cores).
    Returns the number in use."""
    n = n if n and n > 0 else (os.cpu_count() or 1)
    try:
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ValueError:
        pass
    # Torch's last: numba's OpenMP layer can reset the OpenMP thread count Torch relies on.
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    return n
