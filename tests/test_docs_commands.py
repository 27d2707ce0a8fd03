"""Every command the docs show runs as written today, as far as its flags go.

Reads BENCHMARKS.md, README.md, docs/*.md and docs/benchmarks/*.md; takes every shell command in
their code blocks (fenced or indented) and inline code spans that invokes a script of
experiments/ or benchmarks/ (`python experiments/train.py ...`, also behind `PYTHONPATH=.`,
`taskset -c 0`, `XLA_FLAGS=...`), and checks, without running anything:

- the script exists;
- every `--flag` is defined by that script: `flags.DEFINE_*("flag", ...)` (absl, plus absl's own
  --help / --flagfile / ...) or `add_argument("--flag", ...)` (argparse), in the script or in a
  module of its folder that it imports (augment_ablation.py takes families.py's flags, the
  PyTorch peers take torch_dcgan.py's);
- `--config=experiments/configs/X.py` names a file, `--config=X` / `--configs=X,Y:STEPS` a module
  of experiments/configs;
- every config override names a field of that config's `get_config()`: `--config.a.b=v` (the
  scripts with an ml_collections config flag), `--set=a.b=v,...` (families.py and
  augment_ablation.py), `--set=a.b=v` (compare_peer.py, profile_step.py), `--set='{"a.b": v}'`
  (translation.py) and `--variant=NAME:a.b=v,...` (ab_step.py; keys `xla_*` that are not config
  fields are XLA options, which are not checked).

Placeholders in values (`--workdir=W`, `--seeds=SEED`) are fine; optional parts written
`[--flag]` are checked as flags. A command that no longer runs fails here with the file, the line
and what to fix.
"""

from __future__ import annotations

import ast
import csv
import functools
import importlib
import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
  sys.path.insert(0, str(ROOT))

SCRIPT_DIRS = ("experiments", "benchmarks")
# absl's own flags, accepted by every absl script.
ABSL_BUILTINS = {"help", "helpfull", "helpshort", "helpxml", "flagfile", "undefok", "logtostderr",
                 "alsologtostderr", "verbosity", "v", "log_dir", "stderrthreshold",
                 "showprefixforinfo", "only_check_args", "run_with_pdb", "pdb_post_mortem",
                 "pdb", "run_with_profiling", "profile_file", "use_cprofile_for_profiling"}
ARGPARSE_BUILTINS = {"help"}
SHELL_SEPARATORS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "2>&1", "&>"}
SHELL_LANGS = {"", "bash", "sh", "shell", "console", "text", "zsh"}


def doc_files() -> list[Path]:
  docs = [ROOT / "BENCHMARKS.md", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
          *sorted((ROOT / "docs" / "benchmarks").glob("*.md"))]
  return [d for d in docs if d.is_file()]


# ------------------------------------------------------------------------------ markdown -> commands

def code_snippets(text: str) -> list[tuple[int, str]]:
  """(first line number, text) of every fenced shell block, indented code block and inline code
  span of a markdown text. Inline spans may run over line breaks inside a paragraph."""
  lines = text.splitlines()
  snippets: list[tuple[int, str]] = []
  prose = list(lines)
  i = 0
  while i < len(lines):
    fence = re.match(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)", lines[i])
    if fence:
      j = i + 1
      while j < len(lines) and not lines[j].lstrip().startswith(fence.group(1)):
        j += 1
      if fence.group(2).lower() in SHELL_LANGS:
        snippets.append((i + 2, "\n".join(lines[i + 1:j])))
      for k in range(i, min(j + 1, len(lines))):
        prose[k] = ""
      i = j + 1
      continue
    starts_block = (lines[i].startswith("    ") or lines[i].startswith("\t")) and lines[i].strip()
    if starts_block and (i == 0 or not lines[i - 1].strip()):
      j = i
      while j < len(lines) and (lines[j].startswith("    ") or lines[j].startswith("\t")
                                or not lines[j].strip()):
        j += 1
      snippets.append((i + 1, "\n".join(l[4:] if l.startswith("    ") else l.lstrip("\t")
                                        for l in lines[i:j])))
      for k in range(i, j):
        prose[k] = ""
      i = j
      continue
    i += 1
  # Inline code spans, paragraph by paragraph (a span may wrap onto the next line).
  start = None
  for n, line in enumerate(prose + [""]):
    if line.strip() and start is None:
      start = n
    elif not line.strip() and start is not None:
      paragraph = "\n".join(prose[start:n])
      for m in re.finditer(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", paragraph, re.DOTALL):
        line_no = start + 1 + paragraph.count("\n", 0, m.start())
        snippets.append((line_no, " ".join(m.group(2).split())))
      start = None
  return snippets


def _tokens(line: str) -> list[str]:
  lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
  lexer.whitespace_split = True
  lexer.commenters = "#"
  try:
    return list(lexer)
  except ValueError:  # an unbalanced quote in prose-like code: fall back to plain words
    return line.split()


@functools.cache
def _scripts_by_name() -> dict[str, list[str]]:
  out: dict[str, list[str]] = {}
  for d in SCRIPT_DIRS:
    for p in sorted((ROOT / d).rglob("*.py")):
      if "configs" not in p.relative_to(ROOT).parts and p.name != "__init__.py":
        out.setdefault(p.name, []).append(str(p.relative_to(ROOT)))
  return out


def _script_of(token: str, first: bool, after_python: bool) -> str | None:
  """The script path a token invokes, or None. `experiments/x.py` / `benchmarks/x.py` after
  `python` or opening a command; a bare `x.py` opening a command when it names one script of
  those folders."""
  token = token.removeprefix("./")
  if re.fullmatch(r"(?:experiments|benchmarks)/[\w./-]+\.py", token):
    return token if (first or after_python) else None
  if (first or after_python) and re.fullmatch(r"\w+\.py", token):
    found = _scripts_by_name().get(token, [])
    return found[0] if len(found) == 1 else None
  return None


@dataclass
class Command:
  doc: str
  line: int
  script: str
  args: list[str]
  text: str

  def where(self) -> str:
    return f"{self.doc}:{self.line}: {self.text}"


def commands_in(text: str, doc: str = "<doc>") -> list[Command]:
  """Every invocation of an experiments/ or benchmarks/ script in a markdown text."""
  found = []
  for line_no, snippet in code_snippets(text):
    joined = re.sub(r"\\\n", " ", snippet)
    for offset, line in enumerate(joined.splitlines()):
      tokens = _tokens(line)
      first = True
      k = 0
      while k < len(tokens):
        tok = tokens[k]
        if tok in SHELL_SEPARATORS or tok.startswith(">"):
          first, k = True, k + 1
          continue
        after_python = k > 0 and re.fullmatch(r"(?:.*/)?python[\d.]*", tokens[k - 1]) is not None
        script = _script_of(tok, first, after_python)
        # Words before the script that only set up the environment keep `first` true.
        env_word = re.fullmatch(r"\w+=\S*", tok) or tok in ("taskset", "env", "time", "nohup",
                                                            "/usr/bin/time", "-v", "-c", "-R")
        if script is None:
          if not env_word and not re.fullmatch(r"(?:.*/)?python[\d.]*", tok) and not (
              k > 0 and tokens[k - 1] in ("-c",)):
            first = False
          k += 1
          continue
        end = k + 1
        while end < len(tokens) and tokens[end] not in SHELL_SEPARATORS \
            and not tokens[end].startswith(">"):
          end += 1
        found.append(Command(doc, line_no + offset, script, tokens[k + 1:end],
                             " ".join(tokens[k - 1 if after_python else k:end])))
        first, k = False, end
  return found


# ------------------------------------------------------------------------------ scripts' flags

@dataclass
class ScriptFlags:
  path: str
  names: set[str] = field(default_factory=set)
  config_files: dict[str, str | None] = field(default_factory=dict)  # config_flags: name -> default
  defaults: dict[str, object] = field(default_factory=dict)
  absl: bool = False
  argparse: bool = False


def _const(node):
  try:
    return ast.literal_eval(node)
  except (ValueError, TypeError, SyntaxError, RecursionError):
    return None


def _collect(path: Path, out: ScriptFlags, seen: set[Path]) -> None:
  if path in seen:
    return
  seen.add(path)
  tree = ast.parse(path.read_text(), str(path))
  for node in ast.walk(tree):
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
      fn = node.func.attr
      if fn.startswith("DEFINE_") and node.args and isinstance(_const(node.args[0]), str):
        name = _const(node.args[0])
        default = _const(node.args[1]) if len(node.args) > 1 else None
        out.absl = True
        if fn in ("DEFINE_config_file", "DEFINE_config_dict", "DEFINE_config_dataclass"):
          out.config_files[name] = default if isinstance(default, str) else None
        out.names.add(name)
        out.defaults.setdefault(name, default)
        if fn in ("DEFINE_bool", "DEFINE_boolean"):
          out.names.add("no" + name)
      elif fn == "add_argument":
        out.argparse = True
        options = [a for a in map(_const, node.args) if isinstance(a, str) and a.startswith("-")]
        default = next((_const(kw.value) for kw in node.keywords if kw.arg == "default"), None)
        for opt in options:
          name = opt.lstrip("-")
          out.names.add(name)
          out.defaults.setdefault(name, default)
    # Flags of a module beside the script that it imports (`import families`, `from torch_dcgan
    # import ...`): the script's sys.path[0] is its folder.
    modules = []
    if isinstance(node, ast.Import):
      modules = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
      modules = [node.module]
    for module in modules:
      sibling = path.parent / f"{module}.py"
      if "." not in module and sibling.is_file():
        _collect(sibling, out, seen)


@functools.cache
def script_flags(script: str) -> ScriptFlags:
  out = ScriptFlags(script)
  _collect(ROOT / script, out, set())
  return out


# ------------------------------------------------------------------------------ configs

@functools.cache
def load_config(name_or_path: str):
  """get_config() of an experiments/configs module, by module name or by file path."""
  path = name_or_path if name_or_path.endswith(".py") else f"experiments/configs/{name_or_path}.py"
  file = ROOT / path.split(":", 1)[0]
  if not file.is_file():
    raise FileNotFoundError(path)
  rel = file.resolve().relative_to(ROOT)
  if rel.parts[:2] == ("experiments", "configs"):
    module = importlib.import_module(".".join(rel.with_suffix("").parts))
  else:
    spec = importlib.util.spec_from_file_location(f"_doc_config_{rel.stem}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
  return module.get_config()


def missing_field(config, dotted: str) -> str | None:
  """None when `dotted` names a field of the config; else the part that does not exist."""
  node = config
  parts = dotted.split(".")
  for n, part in enumerate(parts):
    keys = node.keys() if hasattr(node, "keys") else ()
    if part not in keys:
      return ".".join(parts[:n + 1])
    node = node[part]
  return None


def _config_exists(name: str) -> bool:
  path = name if name.endswith(".py") else f"experiments/configs/{name}.py"
  return (ROOT / path.split(":", 1)[0]).is_file()


def _absl_list(value: str) -> list[str]:
  """An absl DEFINE_list value, split as absl does (csv, stripped)."""
  if not value.strip():
    return []
  return [s.strip() for s in next(csv.reader([value], strict=True))]


# ------------------------------------------------------------------------------ the check

def _check_overrides(problems, targets: list[str], keys: list[str], how: str) -> None:
  for target in targets:
    if not _config_exists(target):
      problems.append(f"config {target!r} does not exist (experiments/configs/{target}.py)")
      continue
    config = load_config(target)
    for key in keys:
      if key in ("", "...") or not re.fullmatch(r"[\w.]+", key):
        continue
      gone = missing_field(config, key)
      if gone:
        hint = ""
        if "." not in key and "runtime" in config and key in config.runtime:
          hint = f" (it is runtime.{key} now)"
        elif key.split(".")[-1] in config.get("runtime", {}):
          hint = f" (it is runtime.{key.split('.')[-1]} now)"
        problems.append(f"{how} {key!r}: config {target!r} has no field {gone!r}{hint}")


def _set_keys(entries: list[str]) -> list[str]:
  return [e.partition("=")[0] for e in entries if e and e != "..."]


def check_command(cmd: Command) -> list[str]:
  """What is wrong with one command (empty when nothing is)."""
  if not (ROOT / cmd.script).is_file():
    return [f"script {cmd.script} does not exist"]
  info = script_flags(cmd.script)
  problems: list[str] = []
  given: dict[str, list[str]] = {}
  overrides: dict[str, list[str]] = {}  # config flag -> dotted keys
  args = []
  for a in (a.strip("[]") for a in cmd.args):  # optional parts: [--flag]
    args += a.split("/") if "/--" in a and "=" not in a else [a]  # alternatives: --label/--code
  for n, arg in enumerate(args):
    if not arg.startswith("--") or arg == "--":
      continue
    name, eq, value = arg[2:].partition("=")
    if not eq and n + 1 < len(args) and not args[n + 1].startswith("-") \
        and name in info.config_files:
      value = args[n + 1]
    root, dot, rest = name.partition(".")
    if dot and root in info.config_files:
      overrides.setdefault(root, []).append(rest)
      continue
    builtins = (ABSL_BUILTINS if info.absl else set()) | (ARGPARSE_BUILTINS if info.argparse else set())
    if name not in info.names and name not in builtins:
      known = ", ".join(f"--{f}" for f in sorted(info.names)) or "none"
      problems.append(f"--{name} is not a flag of {cmd.script} (its flags: {known})")
      continue
    given.setdefault(name, []).append(value)
  # ml_collections config flags: --config=FILE and --config.a.b=v against FILE's get_config().
  for flag, default in info.config_files.items():
    path = (given.get(flag) or [default])[-1]
    if path is None:
      if flag in overrides:
        problems.append(f"--{flag}.* overrides without --{flag}=FILE")
      continue
    if not _config_exists(path):
      problems.append(f"--{flag}={path}: no such config file")
      continue
    _check_overrides(problems, [path], overrides.get(flag, []), f"--{flag}.")
  # Config files named by any other flag.
  for name, values in given.items():
    for value in values:
      if re.fullmatch(r"experiments/configs/\w+\.py", value) and not _config_exists(value):
        problems.append(f"--{name}={value}: no such config file")
  # Scripts that target a config by module name and take overrides.
  script = cmd.script
  last = lambda flag: (given.get(flag) or [info.defaults.get(flag)])[-1]
  if script in ("benchmarks/families.py", "benchmarks/translation.py"):
    configs_value = last("configs")
    names = _absl_list(configs_value) if isinstance(configs_value, str) else list(configs_value or [])
    targets = [n.split(":", 1)[0] for n in names if n]
    if script == "benchmarks/families.py":
      keys = [k for v in given.get("set", []) for k in _set_keys(_absl_list(v))]
    else:
      keys = []
      for v in given.get("set", []):
        try:
          keys += list(json.loads(v))
        except (json.JSONDecodeError, TypeError):
          problems.append(f"--set={v}: translation.py takes a JSON object of dotted fields")
    _check_overrides(problems, targets, keys, "--set")
  elif script == "benchmarks/augment_ablation.py":
    keys = [k for v in given.get("set", []) for k in _set_keys(_absl_list(v))]
    _check_overrides(problems, [last("config")], keys, "--set")
  elif script in ("benchmarks/compare_peer.py", "benchmarks/profile_step.py"):
    if script == "benchmarks/compare_peer.py":
      models = _module_literal(script, "MODELS")
      model = last("model")
      if model not in models:
        problems.append(f"--model={model}: compare_peer.py knows {sorted(models)}")
        return problems
      target = models[model][0]
    else:
      target = last("config")
    _check_overrides(problems, [target], _set_keys(given.get("set", [])), "--set")
  elif script == "benchmarks/ab_step.py":
    config = load_config("dcgan_fashion_mnist")
    keys = []
    for variant in given.get("variant", []):
      _, _, spec = variant.partition(":")
      for item in spec.split(";" if ";" in spec else ","):
        key = item.partition("=")[0]
        if key.startswith("xla_") and key not in config:
          if key in config.runtime:
            problems.append(f"--variant key {key!r} is config.runtime.{key}: write runtime.{key}")
          continue  # an XLA option for that variant's compile, not checked here
        keys.append(key)
    _check_overrides(problems, ["dcgan_fashion_mnist"], keys, "--variant")
  elif script == "benchmarks/bigan_probe.py":
    if not _config_exists(last("config")):
      problems.append(f"--config={last('config')}: no such module in experiments/configs")
  return problems


@functools.cache
def _module_literal(script: str, name: str):
  tree = ast.parse((ROOT / script).read_text())
  for node in tree.body:
    if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
      return ast.literal_eval(node.value)
  raise AssertionError(f"{script} has no module-level {name}")


def problems_in(text: str, doc: str = "<doc>") -> list[tuple[Command, str]]:
  return [(cmd, p) for cmd in commands_in(text, doc) for p in check_command(cmd)]


# ------------------------------------------------------------------------------ tests

@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_documented_command_uses_flags_and_fields_that_exist(doc):
  problems = problems_in(doc.read_text(), str(doc.relative_to(ROOT)))
  assert not problems, "commands that no longer run as written:\n" + "\n".join(
      f"{cmd.where()}\n    -> {p}" for cmd, p in problems)


def test_the_docs_show_commands_the_checker_reads():
  """The parser finds the commands (a parser that finds none would pass everything)."""
  counts = {str(d.relative_to(ROOT)): len(commands_in(d.read_text())) for d in doc_files()}
  assert counts["BENCHMARKS.md"] + sum(v for k, v in counts.items()
                                        if k.startswith("docs/benchmarks/")) >= 40, counts
  assert counts["README.md"] >= 10, counts
  scripts = {c.script for d in doc_files() for c in commands_in(d.read_text())}
  for script in ("experiments/train.py", "experiments/evaluate.py", "benchmarks/families.py",
                 "benchmarks/compare_peer.py", "benchmarks/translation.py"):
    assert script in scripts, scripts


SELF_CHECK = """
Fenced:

```bash
python experiments/train.py --config=experiments/configs/dcgan_fashion_mnist.py --workdir=W \\
    --config.num_train_steps=2000 --config.model.no_such_field=3 --made_up_flag=1   # comment --x
PYTHONPATH=. python benchmarks/families.py --configs=sngan_fashion_mnist32:400 \\
    --set=model.g_features=32,model.conv_kernels=xla --seeds=0
python benchmarks/no_such_script.py --steps=3
python experiments/train.py --config=experiments/configs/no_such_config.py --workdir=W
```

Indented:

    taskset -c 0 python benchmarks/compare_peer.py --batch=32 --set=model.conv_kernels=xla --cache

Inline, wrapping: `python benchmarks/translation.py --configs=cyclegan_sneaker2boot
--set='{"model.identity_weight": 0.0, "model.nope": 1}' --tag=x`, and a variant
`python benchmarks/ab_step.py --variant=eigen: --variant=ynnpack:xla_cpu_ynnpack=true`, and
`python benchmarks/augment_ablation.py --config=stylegan2_emoji32 --set=dataset.subset=128,dataset.nope=1`,
and `sample.py --label/--nope`.
"""

SELF_CHECK_GOOD = """
```bash
python experiments/train.py --config=experiments/configs/dcgan_fashion_mnist.py --workdir=W \\
    --config.num_train_steps=2000 --config.runtime.conv_kernels=xla   # --not_a_flag in a comment
python benchmarks/families.py --configs=sngan_fashion_mnist32:1500 --set=model.g_features=32,d_steps=2
python benchmarks/compare_peer.py --worker=ganjax --batch=256 [--cpu_devices=2] --set=runtime.conv_kernels=xla
python experiments/sample.py --workdir=W --noema --num=64 --out=x.png --helpfull
```
Inline: `python benchmarks/translation.py --configs=pix2pix_edges2fashion --set='{"model.adversarial": false}'`
and `python benchmarks/ab_step.py --variant=eigen: --variant=ynnpack:runtime.xla_cpu_ynnpack=true`,
and alternatives: `sample.py --label/--code`.
"""


def test_the_checker_rejects_made_up_flags_fields_scripts_and_configs():
  text = "\n".join(p for _, p in problems_in(SELF_CHECK))
  expected = ["--made_up_flag is not a flag of experiments/train.py",
              "'model.no_such_field'",
              "'model.conv_kernels'",
              "(it is runtime.conv_kernels now)",
              "script benchmarks/no_such_script.py does not exist",
              "no_such_config.py: no such config file",
              "'model.nope'",
              "xla_cpu_ynnpack",
              "'dataset.nope'",
              "--nope is not a flag of experiments/sample.py"]
  for e in expected:
    assert e in text, (e, text)
  assert "--x" not in text and "num_train_steps" not in text  # comments and good fields pass
  assert "model.g_features" not in text and "model.identity_weight" not in text
  assert len(commands_in(SELF_CHECK)) == 9, commands_in(SELF_CHECK)


def test_the_checker_accepts_what_exists():
  assert problems_in(SELF_CHECK_GOOD) == []
  assert len(commands_in(SELF_CHECK_GOOD)) == 7
