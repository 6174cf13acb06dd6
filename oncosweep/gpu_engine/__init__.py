"""The simulation engine: the numpy reference (realization, step, rates, pharmacology, clinic),
the compiled kernel (``cuda/``: on the GPU through CuPy, or built for the host as the ``cpu``
backend), counter-based RNG, samplers, the packer and the result record.

It reads compiled models (:mod:`oncosweep.lowering`) and imports with numpy alone; cupy is
optional (``backend="cupy"``). Nothing here imports Dask, zarr, pydantic or the analysis
layer; xarray is imported only when a dataset is built.
"""

from oncosweep.gpu_engine.rng import RNG_SCHEME

__all__ = ["RNG_SCHEME"]
