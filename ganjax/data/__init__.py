"""Datasets as tfds builders (ArrayRecord) read through `tfds.data_source` and grain."""
