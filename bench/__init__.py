"""Benchmarks (not tests): ``python -m bench [--quick] [--only NAME,...]`` prints ratios against baselines
measured in the same run, each with its goal; see bench/RESULTS.md."""
