"""Using a trained run: sampling (with conditioning), grids, translation, the style space."""
