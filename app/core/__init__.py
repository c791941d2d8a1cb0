"""The headless engine: workflow model, node registry, validation, executor and cache.

Nothing in this package imports Qt: it runs from the CLI, in tests and in batch jobs.
"""
