"""The benchmark suite: ``python -m benchmarks [--lines N] [--quick]`` (see ``__main__``)."""
