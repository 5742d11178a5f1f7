"""Stopping a Torch training loop and going on later from exactly where it stood.

A step-based trainer (Adam or AdamW, perhaps a LambdaLR schedule, Torch and NumPy random streams)
is captured as a :class:`TrainingState`: the step reached, the optimizer's per-parameter state,
the schedule's step, every random stream, and the trainer's own figures (a smoothed loss, a
planned number of steps). Restored into a freshly built model and optimizer, the next step is the
one the uninterrupted run would have taken, so on the CPU with the same seed a stopped and resumed
run gives the same weights and losses as one straight through.

A state travels inside its model's checkpoint: its tensors (optimizer moments, random-generator
states, weights a trainer keeps besides the model's own) under a prefix in the
checkpoint's tensors, the rest as JSON in the checkpoint's ``extra`` under its ``EXTRA_KEY`` (see
:class:`models.core.result.TrainingState`, kept apart from Torch so loading a checkpoint needs none).
Nothing is pickled.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from models.core.result import TrainingState
from models.errors import UserError

_OPTIM = "optim."
_RNG = "rng."
_TORCH = "torch"            # the global Torch generator: weight init and dropout draw from it
_CUDA = "cuda"


# --- NumPy generators --------------------------------------------------------------------------

def _ints_as_text(x):
    # PCG64's state is two 128-bit integers: JSON numbers beyond 2**53 are not exact in every reader.
    if isinstance(x, dict):
        return {k: _ints_as_text(v) for k, v in x.items()}
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    return x


def _text_as_ints(x):
    if isinstance(x, dict):
        return {k: _text_as_ints(v) for k, v in x.items()}
    if isinstance(x, str) and x.lstrip("-").isdigit():
        return int(x)
    return x


def numpy_state(rng: np.random.Generator) -> dict:
    return _ints_as_text(rng.bit_generator.state)


def set_numpy_state(rng: np.random.Generator, state: dict) -> None:
    rng.bit_generator.state = _text_as_ints(state)


# --- capture and restore -----------------------------------------------------------------------

def _optimizer_parts(optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """(JSON scalars, tensors) of the optimizer's per-parameter state, by parameter index. A 0-d
    tensor (Adam's step count) goes to JSON with its dtype so it comes back as the same kind."""
    scalars, tensors = {}, {}
    for i, st in optimizer.state_dict()["state"].items():
        for key, v in st.items():
            name = f"{i}.{key}"
            if torch.is_tensor(v) and v.dim() > 0:
                tensors[_OPTIM + name] = v.detach().cpu().numpy().copy()
            elif torch.is_tensor(v):
                scalars[name] = {"value": v.item(), "dtype": str(v.dtype).removeprefix("torch.")}
            else:
                scalars[name] = v
    return scalars, tensors


def capture(step: int, optimizer: torch.optim.Optimizer, *, scheduler=None,
            generators: dict[str, torch.Generator] | None = None,
            rngs: dict[str, np.random.Generator] | None = None,
            values: dict | None = None, tensors: dict | None = None) -> TrainingState:
    """The state of a loop that has taken ``step`` steps: ``optimizer`` (and ``scheduler``, a
    LambdaLR stepped once a step), Torch ``generators`` and NumPy ``rngs`` by name (the global
    Torch generator always), and the trainer's own JSON ``values`` and NumPy ``tensors``."""
    scalars, optim_tensors = _optimizer_parts(optimizer)
    rng_tensors = {_RNG + _TORCH: torch.get_rng_state().numpy().copy()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        rng_tensors[_RNG + _CUDA] = torch.cuda.get_rng_state().numpy().copy()
    for name, g in (generators or {}).items():
        rng_tensors[_RNG + name] = g.get_state().numpy().copy()
    own = {}
    for k, v in (tensors or {}).items():
        own[k] = v.detach().cpu().numpy().copy() if torch.is_tensor(v) else np.array(v, copy=True)
    return TrainingState(
        {"step": int(step), "optimizer": scalars,
         "scheduler_step": int(scheduler.last_epoch) if scheduler is not None else None,
         "numpy": {name: numpy_state(r) for name, r in (rngs or {}).items()},
         "trainer": dict(values or {})},
        {**optim_tensors, **rng_tensors, **own})


def _restore_optimizer(optimizer: torch.optim.Optimizer, state: TrainingState) -> None:
    per_param: dict[int, dict] = {}
    for name, v in state.values.get("optimizer", {}).items():
        i, key = name.split(".", 1)
        if isinstance(v, dict) and "dtype" in v:
            v = torch.tensor(v["value"], dtype=getattr(torch, v["dtype"]))
        per_param.setdefault(int(i), {})[key] = v
    for name, arr in state.tensors_under(_OPTIM).items():
        i, key = name.split(".", 1)
        per_param.setdefault(int(i), {})[key] = torch.from_numpy(np.array(arr, copy=True))
    params = [p for g in optimizer.param_groups for p in g["params"]]
    for i, st in per_param.items():
        for key, v in st.items():
            if i >= len(params) or (torch.is_tensor(v) and v.dim() > 0 and v.shape != params[i].shape):
                raise UserError("The saved optimizer state does not fit this network (its shapes differ).",
                                "Keep the model's settings to continue it, or train a new model.")
    # The param groups are the new optimizer's own: its hyper-parameters come from the settings.
    optimizer.load_state_dict({"state": per_param, "param_groups": optimizer.state_dict()["param_groups"]})


def _restore_schedule(scheduler, step: int) -> None:
    """A LambdaLR at ``step``, without calling its ``step()`` (which would warn that the optimizer
    has not stepped yet): the learning rate each group would have after ``step`` steps."""
    scheduler.last_epoch = step
    lrs = [base * f(step) for base, f in zip(scheduler.base_lrs, scheduler.lr_lambdas)]
    for group, lr in zip(scheduler.optimizer.param_groups, lrs):
        group["lr"] = lr
    scheduler._last_lr = lrs


def restore(state: TrainingState, optimizer: torch.optim.Optimizer, *, scheduler=None,
            generators: dict[str, torch.Generator] | None = None,
            rngs: dict[str, np.random.Generator] | None = None) -> None:
    """Put a freshly built ``optimizer`` (over the restored model's parameters, in the same
    order), ``scheduler``, ``generators`` and ``rngs`` where :func:`capture` found them."""
    _restore_optimizer(optimizer, state)
    if scheduler is not None and state.values.get("scheduler_step") is not None:
        _restore_schedule(scheduler, int(state.values["scheduler_step"]))
    saved = state.tensors_under(_RNG)
    if _TORCH in saved:
        torch.set_rng_state(torch.from_numpy(np.array(saved[_TORCH], copy=True)))
    if _CUDA in saved and torch.cuda.is_available():
        torch.cuda.set_rng_state(torch.from_numpy(np.array(saved[_CUDA], copy=True)))
    for name, g in (generators or {}).items():
        g.set_state(torch.from_numpy(np.array(saved[name], copy=True)))
    for name, r in (rngs or {}).items():
        set_numpy_state(r, state.values["numpy"][name])


# --- may it be continued? ----------------------------------------------------------------------

def check_continuable(result, name: str, config, state: TrainingState | None,
                      total_field: str | None = "steps") -> TrainingState:
    """The state to continue ``result`` from with ``config``, or a UserError saying why not:
    another kind of model, no state, a setting of the config class's ``FIXED_ON_RESUME`` changed,
    or (with ``total_field``) a run already as long as the settings ask."""
    if getattr(result, "model", None) != name:
        raise UserError(f"This is a '{getattr(result, 'model', '?')}' model; it cannot be continued as '{name}'.",
                        f"Choose {getattr(result, 'model', 'its model')} in the model list, or train a new "
                        f"{name} model.")
    if state is None:
        raise UserError("This model holds no training state to continue from (it was saved by an older "
                        "version or opened from a file without one).", "Train a new model.")
    fixed = getattr(type(config), "FIXED_ON_RESUME", ())
    old = dataclasses.asdict(result.config)
    changed = [f"{f} = {old[f]} (the settings ask for {getattr(config, f)})"
               for f in fixed if f in old and old[f] != getattr(config, f)]
    if changed:
        raise UserError(f"The model was trained with {', '.join(changed)}.",
                        "Keep those settings to continue it, or train a new model.")
    if total_field is not None and state.step >= getattr(config, total_field):
        label = total_field.replace("_", " ").capitalize()
        raise UserError(f"The model has already trained {state.step} of {getattr(config, total_field)} "
                        f"{total_field}.", f"Raise {label} to train it further.")
    return state
