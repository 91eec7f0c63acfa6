"""The one error type of the benchmark harness."""


class BenchError(ValueError):
    """A suite, dataset or annotation file that cannot be run; the message is one line that
    names the file and the problem."""
