"""Error types users see. Each message names the problem and the fix."""


class GanjaxError(Exception):
  """Base class for every error ganjax raises on purpose."""


class ConfigError(GanjaxError, ValueError):
  """The experiment config is invalid (unknown name, bad value, inconsistent shapes)."""


class DatasetNotFoundError(GanjaxError, FileNotFoundError):
  """A dataset's source files are missing."""


class DataFormatError(GanjaxError, ValueError):
  """A batch has the wrong dtype, shape or value range at the pipeline boundary."""


class CheckpointError(GanjaxError, RuntimeError):
  """No usable checkpoint could be read or written."""
