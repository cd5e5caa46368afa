"""Command-line front ends: ``textprep`` and ``embeddings``."""
