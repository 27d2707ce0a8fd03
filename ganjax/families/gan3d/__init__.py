"""3D-GAN (Wu et al. 2016) on voxel occupancy grids: networks.py, objective.py, family.py."""
