"""The simulation engine: scenario compilation, counter-based RNG, samplers and the step loop.

Imports with numpy alone; cupy is optional (``backend="cupy"``). Nothing here imports Dask,
zarr or the analysis layer; xarray is imported only when a dataset is built.
"""

from oncosweep.gpu_engine.rng import RNG_SCHEME

__all__ = ["RNG_SCHEME"]
