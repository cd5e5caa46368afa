"""``textprep bpe`` subcommands (train / encode / decode)."""


def register(sub) -> None:
    """Add the bpe subcommands to the ``textprep`` parser."""
