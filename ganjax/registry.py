"""Name -> object registries, so configs select losses, models and optimizers by string."""

from __future__ import annotations

from typing import Generic, Iterator, TypeVar

from ganjax.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
  """A mapping from config names to objects with a helpful error on unknown names.

  Usage:
    LOSSES = Registry("loss")

    @LOSSES.register("hinge")
    def hinge(real_logits, fake_logits): ...

    LOSSES.get("hinge")
  """

  def __init__(self, kind: str):
    self.kind = kind
    self._items: dict[str, T] = {}

  def register(self, name: str, obj: T | None = None, *, overwrite: bool = False):
    """Registers `obj` under `name`; used bare as a decorator when `obj` is None."""

    def add(o: T) -> T:
      if name in self._items and not overwrite:
        raise ValueError(f"{self.kind} {name!r} is already registered; pass overwrite=True to replace it.")
      self._items[name] = o
      return o

    return add if obj is None else add(obj)

  def get(self, name: str) -> T:
    try:
      return self._items[name]
    except (KeyError, TypeError):  # TypeError: an unhashable value such as a list
      raise ConfigError(
          f"Unknown {self.kind} {name!r}. Valid {self.kind} names: {', '.join(sorted(self._items))}."
      ) from None

  def names(self) -> list[str]:
    return sorted(self._items)

  def __contains__(self, name: object) -> bool:
    return name in self._items

  def __iter__(self) -> Iterator[str]:
    return iter(sorted(self._items))

  def __len__(self) -> int:
    return len(self._items)

