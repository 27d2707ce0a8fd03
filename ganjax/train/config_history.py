"""What a resume may change: the saved config.json against the config a rerun brings.

A rerun on a workdir continues the run it holds. Changes that alter the game itself (the family and
its model fields, the dataset, the loss, the regularizers and augmentation, the batch size, the
dtype) would mix two runs into one checkpoint history, so they are refused with the difference
shown, unless `config.allow_game_change` is True. Other changes (a learning rate, the number of
steps, cadences, the runtime block) are accepted, printed, and appended to
WORKDIR/config_history.jsonl with the step they take effect from; config.json then holds the new
config. Nothing here writes until the checkpoint has been restored.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Mapping

from ganjax.errors import ConfigError

CONFIG = "config.json"
HISTORY = "config_history.jsonl"
# Dotted prefixes of the fields that define the game being played.
GAME_FIELDS = ("model", "dataset.name", "dataset.subset", "dataset.class_balanced", "loss",
               "loss_kwargs", "regularizers", "g_objective", "d_steps", "augment", "batch_size",
               "dtype", "seed")
# Fields that change nothing a run computes.
IGNORED = ("allow_game_change",)


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
  """{"a.b.c": leaf} of nested dicts (lists and tuples are leaves)."""
  if isinstance(tree, Mapping):
    out = {}
    for k, v in tree.items():
      out.update(flatten(v, f"{prefix}{k}."))
    return out
  return {prefix[:-1]: list(tree) if isinstance(tree, tuple) else tree}


def config_dict(config) -> dict:
  """A ConfigDict as the plain JSON dict config.json holds."""
  return json.loads(config.to_json_best_effort(sort_keys=True))


def read_saved(workdir: str) -> dict | None:
  path = os.path.join(workdir, CONFIG)
  if not os.path.isfile(path):
    return None
  with open(path) as f:
    return json.load(f)


def differences(saved: Mapping, new: Mapping) -> dict[str, tuple]:
  """{field: (saved value, new value)} of every field that differs (missing: None)."""
  a, b = flatten(saved), flatten(new)
  return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b))
          if a.get(k) != b.get(k) and not k.startswith(IGNORED)}


def is_game_field(field: str) -> bool:
  return any(field == g or field.startswith(g + ".") for g in GAME_FIELDS)


def check_resume(workdir: str, config, step: int) -> dict[str, tuple]:
  """The accepted differences between WORKDIR/config.json and `config` for a run resuming at
  `step`; ConfigError listing the game-changing ones unless config.allow_game_change."""
  saved = read_saved(workdir)
  if saved is None:
    return {}
  diff = differences(saved, config_dict(config))
  game = {k: v for k, v in diff.items() if is_game_field(k)}
  if game and not config.get("allow_game_change", False):
    shown = "; ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in list(game.items())[:8])
    raise ConfigError(
        f"workdir {workdir} holds a run at step {step} whose game this config changes ({shown}"
        f"{'; ...' if len(game) > 8 else ''}). Resuming would mix two runs: use a new --workdir, "
        f"rerun with the config in {os.path.join(workdir, CONFIG)}, or pass "
        f"--config.allow_game_change=True to continue with the change recorded. Nothing was "
        f"written.")
  return diff


def record(workdir: str, config, step: int, diff: Mapping[str, tuple]) -> None:
  """Writes config.json (the config in force from now on) and, when it changed, a history row."""
  if diff:
    with open(os.path.join(workdir, HISTORY), "a") as f:
      f.write(json.dumps({"step": int(step), "time": time.time(),
                          "changes": {k: list(v) for k, v in diff.items()}}) + "\n")
  tmp = os.path.join(workdir, CONFIG + ".tmp")
  with open(tmp, "w") as f:
    f.write(config.to_json_best_effort(indent=2, sort_keys=True))
  os.replace(tmp, os.path.join(workdir, CONFIG))
