"""Notebooks run top to bottom (in a fast setting) without errors."""

import os

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import COMPILE_ONLY_XLA_FLAGS, xla_flags

NOTEBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "notebooks")
# Six steps: compiling is most of a notebook's time, so its kernel compiles at -O0 (conftest).
FAST_ENV = {"GANJAX_NOTEBOOK_STEPS": "6",
            "XLA_FLAGS": xla_flags(COMPILE_ONLY_XLA_FLAGS)}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(n for n in os.listdir(NOTEBOOKS) if n.endswith(".ipynb")))
def test_notebook_executes(name, monkeypatch):
  for k, v in FAST_ENV.items():
    monkeypatch.setenv(k, v)
  nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
  NotebookClient(nb, timeout=600, kernel_name="python3",
                 resources={"metadata": {"path": NOTEBOOKS}}).execute()
  images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]
  assert images, f"{name} showed no figure"
