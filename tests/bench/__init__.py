"""Benchmarks (make bench): each module prints its figures; none of them is a pass/fail test."""
