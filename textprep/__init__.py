"""textprep: streaming text preprocessing, vocabularies, vectorizers and byte pair encoding."""
