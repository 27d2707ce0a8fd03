"""docs/architecture.md lists the registries as they are.

Its "Registries" section holds marked lists (`<!-- registry: NAME -->` ... `<!-- end registry:
NAME -->`): the families table must name every shipped family folder (`ganjax.families.
builtin_names()`) and every family name they register, the loss and regularizer lists every
registered loss and regularizer, and nothing that is not registered. Anywhere in the doc, a path
`ganjax/families/<x>/` or `ganjax/families/<x>.py` must exist. Only what ganjax's own modules
register counts: tests and notebooks register extra names in their process.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
if str(ROOT) not in sys.path:
  sys.path.insert(0, str(ROOT))


def registry_block(name: str) -> str:
  text = DOC.read_text()
  m = re.search(rf"<!-- registry: {name} -->(.*?)<!-- end registry: {name} -->", text, re.DOTALL)
  assert m, f"docs/architecture.md has no '<!-- registry: {name} -->' list"
  return m.group(1)


def backticked(text: str) -> list[str]:
  return re.findall(r"`([^`]+)`", text)


def table_rows(block: str) -> list[list[str]]:
  rows = [l.strip() for l in block.splitlines() if l.strip().startswith("|")]
  cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
  return [c for c in cells[2:] if c]  # past the header and its --- line


def _registry(modules: tuple[str, ...], attr: str):
  """The registry `attr` of the first of `modules` that imports (code moves between packages)."""
  for name in modules:
    try:
      module = importlib.import_module(name)
    except ImportError:
      continue
    if hasattr(module, attr):
      return getattr(module, attr)
  pytest.fail(f"none of {modules} defines {attr}")


def shipped(registry) -> set[str]:
  """Names registered by ganjax's own modules (a Regularizer wraps its function in `fn`)."""
  out = set()
  for name in registry.names():
    obj = registry.get(name)
    fn = getattr(obj, "fn", obj)
    if getattr(fn, "__module__", "").startswith("ganjax."):
      out.add(name)
  return out


def family_table_problems(block: str) -> list[str]:
  """What the families table gets wrong against the shipped folders and registered names."""
  from ganjax import families
  families.load_builtin()
  folders = set(families.builtin_names())
  by_folder: dict[str, set[str]] = {}
  for n in shipped(families.FAMILIES):
    module = families.FAMILIES.get(n).__module__  # ganjax.families.<folder>.family
    by_folder.setdefault(module.split(".")[2], set()).add(n)
  rows = table_rows(block)
  doc_folders = [backticked(r[0])[0] for r in rows if backticked(r[0])]
  problems = [f"folder {f!r} is shipped but not in the table" for f in sorted(folders - set(doc_folders))]
  problems += [f"folder {f!r} is in the table but not shipped" for f in sorted(set(doc_folders) - folders)]
  for row in rows:
    if not backticked(row[0]) or len(row) < 2:
      problems.append(f"row {row} does not start with `folder` | `names`")
      continue
    folder, names = backticked(row[0])[0], set(backticked(row[1]))
    if folder in folders and names != by_folder.get(folder, set()):
      problems.append(f"folder {folder!r}: the table names {sorted(names)}, it registers "
                      f"{sorted(by_folder.get(folder, set()))}")
  return problems


def list_problems(block: str, registered: set[str], what: str) -> list[str]:
  listed = backticked(block)
  problems = [f"{what}: {n!r} listed twice" for n in sorted({n for n in listed if listed.count(n) > 1})]
  problems += [f"{what}: {n!r} is registered but not listed" for n in sorted(registered - set(listed))]
  problems += [f"{what}: {n!r} is listed but not registered" for n in sorted(set(listed) - registered)]
  return problems


def test_the_families_table_names_every_shipped_folder_and_registered_family():
  problems = family_table_problems(registry_block("families"))
  assert not problems, "docs/architecture.md, families table:\n" + "\n".join(problems)


def test_the_families_tables_configs_exist_and_build_that_family():
  from experiments import configs
  for row in table_rows(registry_block("families")):
    names = set(backticked(row[1]))
    for config in backticked(row[2]):
      assert (ROOT / "experiments" / "configs" / config).is_file(), config
      model = configs.named(config.removesuffix(".py")).model.name
      assert model in names, (config, model, names)


def test_every_family_path_the_doc_names_exists():
  text = DOC.read_text()
  paths = set(re.findall(r"ganjax/families/\w+(?:/|\.py)", text))
  assert paths, "the doc names no family folder at all"
  missing = sorted(p for p in paths if not (ROOT / p).exists())
  assert not missing, f"docs/architecture.md names family paths that do not exist: {missing}"


REGISTRIES = [
    ("losses", ("ganjax.objectives.losses",), "LOSSES"),
    ("regularizers", ("ganjax.objectives.regularizers",), "REGULARIZERS"),
    ("generator objectives", ("ganjax.objectives.generator_losses", "ganjax.objectives"),
     "G_OBJECTIVES"),
]


@pytest.mark.parametrize("block, modules, attr", REGISTRIES, ids=[r[0] for r in REGISTRIES])
def test_the_registry_lists_match_the_registries(block, modules, attr):
  problems = list_problems(registry_block(block), shipped(_registry(modules, attr)), block)
  assert not problems, "docs/architecture.md:\n" + "\n".join(problems)


def test_the_checks_reject_stale_lists():
  """A table missing a shipped folder, naming a folder that does not exist or a name its folder
  does not register, and a loss list with a made-up loss, all fail."""
  from ganjax import families
  shipped_folders = families.builtin_names()
  header = "| folder | names | configs |\n| --- | --- | --- |\n"
  stale = header + "| `mlp` | `mlp`, `fcgan` | |\n| `latent_gan` | `latent_gan` | |\n"
  text = "\n".join(family_table_problems(stale))
  assert "'latent_gan' is in the table but not shipped" in text, text
  assert "'fcgan'" in text, text
  missing = [f for f in shipped_folders if f != "mlp"][0]
  assert f"folder {missing!r} is shipped but not in the table" in text, text
  losses = shipped(_registry(*REGISTRIES[0][1:]))
  text = "\n".join(list_problems("`hinge`, `hinge`, `boundary_seeking`", losses, "losses"))
  assert "'boundary_seeking' is listed but not registered" in text, text
  assert "'hinge' listed twice" in text and "'minimax' is registered but not listed" in text, text
