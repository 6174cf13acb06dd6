"""Analysis of result datasets: survival, robustness of strategies, plots and reports.

Filled by the analysis issue. This layer reads datasets only; it never imports the engine.
"""
