"""Benchmarks and fault drills: scripts that start their own stack and print figures.

Run them from the repository root, e.g. `.venv/bin/python -m bench.ingest_bench`.
They never touch the test services (scripts/services.sh): the bench stack has its
own PostgreSQL cluster, Redis and ports (bench/stack.py).
"""
