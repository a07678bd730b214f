"""``make bench``: the pipeline's costs measured against baselines of the same run.

``python -m bench`` generates its inputs from a seed, measures each figure
(bench/figures/), and writes bench/results.json and BENCHMARKS.md. Every
figure is a ratio or a count against a baseline measured in the same run on
the same inputs, so that it holds on a noisy machine. Measurements that need
a fresh interpreter (memory, import time) run in subprocesses (bench/worker.py).
"""
