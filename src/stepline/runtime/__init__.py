"""The interpreter: a definition compiled once into a plan, executions run against it.

The public surface for running a definition in-process (users' own test suites, the CLI, the
conformance runner and the benchmarks) is re-exported here.
"""
