"""Device choice, seeding and threads: Torch is asked only where it may matter, and once loaded it
gets the seed and thread count as every trainer expects."""
import pytest
import torch

from models.core.device import device_name, resolve_device, seed_everything, set_threads
from models.errors import UserError


def test_auto_picks_what_torch_would():
    assert device_name("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("auto") == torch.device(device_name("auto"))


def test_an_unknown_or_missing_device_is_a_user_error():
    with pytest.raises(UserError, match="Unknown device"):
        device_name("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="not available"):
            device_name("cuda")


def test_a_loaded_torch_gets_the_seed_and_the_thread_count():
    before = torch.get_num_threads()
    try:
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    seed_everything(11)
    first = torch.rand(4)
    seed_everything(11)
    assert torch.equal(torch.rand(4), first)
