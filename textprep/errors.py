"""The errors the toolkit raises for input a user can fix.

```
ValueError
└── InputError            a file, a flag or a value is not what it must be
    ├── ConfigError       a setting outside its range or choices, or two settings that clash
    └── UnknownWordError  a word or token missing from a vocabulary or vectors (also a KeyError)
```

The command-line front ends print these as one line and exit 2; any other exception is a bug
and keeps its traceback.  They are ``ValueError`` (and ``KeyError``) subclasses, so library
callers that catch the built-in types keep working.  Every message names the file, field or
value at fault.
"""
from __future__ import annotations


class InputError(ValueError):
    """Bad input the user can fix: a file, an argument or a value (the message names it)."""


class ConfigError(InputError):
    """A setting outside its range or its choices, or settings that cannot go together."""


class UnknownWordError(InputError, KeyError):
    """A word or token that is not in the vocabulary (or the vectors)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""
