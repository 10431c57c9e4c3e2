"""What may change when a run is continued, and what may not.

A checkpoint's weights fit one model, one data shape and one loss; its random state fits one
seed and batch size. Changing those mid-run would either fail to load or quietly make a
different run under the same name, so they are refused by name. Learning rates, k, G steps, noise, EMA,
the run's length, the logging cadence, quality scoring and the fast-path switches are settings of
the loop, not of the state: they may change, and each change is said.
"""

from __future__ import annotations

import json
from pathlib import Path

from ganstudio.core.config import ConfigError, RunConfig, check, live_values, parse_override

RESUMABLE_FIELDS = (
    frozenset(
        {
            "optim.lr_g",
            "optim.lr_d",
            "optim.lr_decay",
            "train.k",
            "train.g_steps",
            "train.instance_noise",
            "train.noise_anneal_steps",
            "train.ema_decay",
            "train.steps",
            "train.device",
            "train.log_every",
            "train.sample_every",
            "train.checkpoint_every",
            "train.metrics_every",
        }
    )
    | {f"quality.{name}" for name in ("every", "samples", "keep_best", "inception", "inception_weights")}
    | {
        f"perf.{name}"
        for name in (
            "channels_last",
            "autocast",
            "optimizer_impl",
            "compile",
            "cudnn_benchmark",
            "threads",
            "processes",
        )
    }
)


def _flat(config: RunConfig) -> dict[str, object]:
    """Every field by its dotted name; the data folder as a path, so "/pictures/", "~/pictures" and "/home/u/pictures"
    are one folder (a run's Continue turned to Start when its folder was chosen again without the slash)."""
    flat = {
        f"{section}.{name}": value
        for section, values in config.to_dict().items()
        if isinstance(values, dict)
        for name, value in values.items()
    }
    if flat.get("data.path"):
        flat["data.path"] = str(Path(str(flat["data.path"])).expanduser())
    return flat


def _set(config: RunConfig, key: str, value: object) -> None:
    section, name = key.split(".", 1)
    setattr(getattr(config, section), name, value)


def changed_fields(before: RunConfig, after: RunConfig) -> dict[str, object]:
    """Each field whose value differs, by its dotted name, with its value in `after`."""
    old = _flat(before)
    return {key: value for key, value in _flat(after).items() if old.get(key) != value}


def live_changes(before: RunConfig, after: RunConfig) -> dict[str, object]:
    """The live fields `after` changes, by the names a change record gives them (as a window's change does)."""
    old = live_values(before)
    return {name: value for name, value in live_values(after).items() if old[name] != value}


def resumable_changes(saved: RunConfig, wanted: RunConfig) -> dict[str, object] | None:
    """The fields `wanted` changes in `saved`, when a continued run may take every one of them; None when one
    needs a new run (a window's Continue then turns to Start)."""
    changes = changed_fields(saved, wanted)
    return changes if changes.keys() <= RESUMABLE_FIELDS else None


def as_overrides(changes: dict[str, object], *left_out: str) -> list[str]:
    """Changes as `--set section.field=value` assignments (JSON values: parse_override reads them back exactly),
    but for the fields left_out, which are given apart (--steps, --device, --nproc)."""
    return [f"{key}={json.dumps(value)}" for key, value in sorted(changes.items()) if key not in left_out]


def _cannot_change(refused: list[str]) -> ConfigError:
    return ConfigError(
        [
            (
                ", ".join(refused),
                "cannot change when a run continues (it would not fit the "
                "checkpoint, or would make a different run); start a new run for that. "
                "What may change: learning rates, k, noise, EMA, steps, intervals, quality, perf",
            )
        ]
    )


def _refused(edits: dict[str, object]) -> list[str]:
    """The fields config.json holds otherwise than the checkpoint, named once: which of the two was changed is
    not known (a checkpoint copied in from another run reads as a config.json edit)."""
    refused = [key for key in edits if key not in RESUMABLE_FIELDS]
    return [f"{', '.join(refused)} (config.json differs from the checkpoint)"] if refused else []


def edits_refused(saved: RunConfig, on_disk: RunConfig) -> str | None:
    """Why a run whose checkpoint holds `saved` cannot continue with its config.json's `on_disk`, or None:
    what a window opening the folder says at once, where train --resume says it when asked."""
    refused = _refused(changed_fields(saved, on_disk))
    return str(_cannot_change(refused)) if refused else None


def resume_changes(
    saved: RunConfig, on_disk: RunConfig, overrides: list[str], total_steps: int | None, step: int
) -> tuple[RunConfig, list[str]]:
    """The config to continue with: the checkpoint's (saved), then edits made to config.json (on_disk),
    then overrides, then total_steps; and a line for each change. Raises ConfigError naming every field
    that may not change, or a length that does not go past the checkpoint's step."""
    config, edits = saved.copy(), changed_fields(saved, on_disk)
    refused = _refused(edits)
    for key, value in edits.items():
        if key in RESUMABLE_FIELDS:
            _set(config, key, value)
    for assignment in overrides:
        section, name, value = parse_override(assignment)
        key = f"{section}.{name}"
        refused.append(f"{key} (--set)") if key not in RESUMABLE_FIELDS else _set(config, key, value)
    if total_steps is not None:
        config.train.steps = total_steps
    if refused:
        raise _cannot_change(refused)
    if config.train.steps <= step:
        raise ConfigError(
            [
                (
                    "train.steps",
                    f"{config.train.steps:,} does not go past the checkpoint's step {step:,}; "
                    "give more steps (--steps, or Steps in the window)",
                )
            ]
        )
    check(config)
    before, after = _flat(saved), _flat(config)
    notes = [f"{key}: {before[key]!r} -> {after[key]!r}" for key in sorted(after) if after[key] != before[key]]
    return config, notes
