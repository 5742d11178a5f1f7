"""Device choice, seeding and thread count, in one place so every trainer behaves the same."""
from __future__ import annotations

import os
import random

import numba
import numpy as np
import torch

from models.errors import UserError


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(name: str) -> torch.device:
    """'auto' picks cuda when present; an unavailable device is a user error, not a crash."""
    name = (name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise UserError(f"Unknown device '{name}'.", "Use cpu, cuda or auto.")
    if name not in available_devices():
        raise UserError(f"Device '{name}' is not available on this machine.",
                        f"Available: {', '.join(available_devices())}.")
    return torch.device(name)


def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def set_threads(n: int) -> int:
    """Use n threads for Torch and numba kernels (0 = all cores). Returns the number in use."""
    n = n if n and n > 0 else (os.cpu_count() or 1)
    try:
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ValueError:
        pass
    # Torch's last: numba's OpenMP layer can reset the OpenMP thread count Torch relies on.
    torch.set_num_threads(n)
    return n
