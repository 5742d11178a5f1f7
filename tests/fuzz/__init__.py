"""A mutation fuzzer over every file format the app reads.

``seeds`` makes valid files per format, ``mutators`` damages them, ``targets`` reads one damaged
file through the app's own entry points and checks what came back, and ``runner`` does that in
child processes with a hang limit. Used by tests/models/core/test_file_fuzz.py (a short run) and
tests/benchmarks/fuzz_files.py (the long one).
"""
