"""Dependencies point one way: the core below everything, the data below the pieces, pieces
(families, objectives with losses, regularizers and augmentation, metrics, inference) below the
training loop, which imports them, never the reverse; inference (sampling, grids, translation,
style space) below the metrics that use it. Checked on the import statements of every module (ast), not by convention."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "ganjax"


def _imports(path: pathlib.Path) -> set[str]:
  """Every ganjax module a file imports, at module level or inside functions."""
  names = set()
  for node in ast.walk(ast.parse(path.read_text())):
    if isinstance(node, ast.Import):
      names.update(a.name for a in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
      names.add(node.module)
      names.update(f"{node.module}.{a.name}" for a in node.names)
  return {n for n in names if n.startswith("ganjax")}


def _files(*parts: str):
  for part in parts:
    target = PACKAGE / part
    yield from ([target] if target.suffix == ".py" else sorted(target.rglob("*.py")))


# (modules, the packages they must never import)
RULES = [
    (("core",), ("ganjax.train", "ganjax.families", "ganjax.objectives", "ganjax.metrics",
                 "ganjax.backends", "ganjax.inference", "ganjax.data", "ganjax.runtime")),
    (("data",), ("ganjax.train", "ganjax.families", "ganjax.objectives", "ganjax.metrics",
                 "ganjax.inference")),
    (("nn", "families", "objectives", "metrics", "inference"), ("ganjax.train",)),
    (("inference",), ("ganjax.metrics", "ganjax.families")),
    (("nn", "families"), ("ganjax.backends",)),
]


@pytest.mark.parametrize("parts, forbidden", RULES,
                         ids=["core", "data", "pieces", "inference", "models"])
def test_dependencies_point_one_way(parts, forbidden):
  bad = {}
  for path in _files(*parts):
    hits = sorted(n for n in _imports(path) if n.startswith(forbidden))
    if hits:
      bad[str(path.relative_to(PACKAGE))] = hits
  assert not bad, f"imports against the layering (docs/architecture.md): {bad}"


def test_the_check_sees_imports():
  # The rule above must be able to fail: a module of the loop does import the families.
  assert any(n.startswith("ganjax.families") for n in _imports(PACKAGE / "train" / "experiment.py"))
