"""Parameter sweeps: grid -> units of work, Dask execution, resumable zarr stores.

Filled by the sweeps issue. This layer may import the engine and the scenario schema, never
``oncosweep.analysis``.
"""
