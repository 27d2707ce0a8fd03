"""`--config=FILE --config.a.b=VALUE` checked before absl parses them, so a missing file or an
unknown field is one ConfigError line naming it and the nearest valid names, not a traceback
from inside ml_collections."""

from __future__ import annotations

import difflib
import importlib.util
import os
from typing import Sequence

from ganjax.errors import ConfigError


def _nearest(word: str, choices: Sequence[str], n: int = 3) -> str:
  close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)
  return f" (nearest: {', '.join(close)})" if close else ""


def load_config_file(path: str):
  """get_config() of the config file at `path` (an optional ':ARG' suffix passed to it)."""
  arg = None
  if ":" in path and not os.path.isfile(path):
    path, arg = path.split(":", 1)
  if not os.path.isfile(path):
    folder = os.path.dirname(path) or "."
    names = sorted(n for n in os.listdir(folder) if n.endswith(".py")) if os.path.isdir(folder) else []
    raise ConfigError(f"--config={path}: no such file{_nearest(os.path.basename(path), names)}; "
                      f"the shipped configs are experiments/configs/*.py.")
  spec = importlib.util.spec_from_file_location("ganjax_user_config", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  if not hasattr(module, "get_config"):
    raise ConfigError(f"--config={path} defines no get_config().")
  return module.get_config() if arg is None else module.get_config(arg)


def check_override(config, dotted: str) -> None:
  """ConfigError unless `dotted` ("optimizers.g.learning_rate") names a field of `config`."""
  node, walked = config, []
  for part in dotted.split("."):
    keys = list(node.keys()) if hasattr(node, "keys") else []
    if part not in keys:
      where = ".".join(["config", *walked])
      raise ConfigError(f"--config.{dotted}: {where} has no field {part!r}{_nearest(part, keys)}"
                        f"; its fields: {', '.join(sorted(map(str, keys))) or 'none'}.")
    node, walked = node[part], [*walked, part]


def check_config_argv(argv: Sequence[str], flag: str = "config") -> None:
  """Checks `--config=FILE` and every `--config.FIELD=VALUE` in argv (ConfigError on the first
  problem); does nothing when no config file is given (absl then says it is required)."""
  path, overrides = None, []
  for arg in argv[1:]:
    if arg.startswith(f"--{flag}="):
      path = arg.split("=", 1)[1]
    elif arg.startswith(f"--{flag}."):
      overrides.append(arg[len(flag) + 3:].split("=", 1)[0])
  if path is None:
    return
  config = load_config_file(path)
  for dotted in overrides:
    check_override(config, dotted)
