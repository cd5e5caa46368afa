"""Character-level clean-up applied to a document before it is tokenized.

Everything here is a plain ``str -> str`` function built from C-level string methods
(``str.translate``, ``str.lower``), because it runs once per document on every pass.

* Unicode NFC, so that a letter typed as base + combining mark matches the precomposed one.
* Stress marks (combining acute and grave, common in Russian dictionaries and textbooks:
  «замо́к») are removed, so a stressed word is one token and matches the lemmatizer's forms.
* Soft hyphens (U+00AD) are removed; the typographic apostrophe ’ becomes ', and the
  hyphen characters U+2010/U+2011 become -, so «don’t» and «don't» are the same token.
* Optional lower-casing and ё→е folding (Russian texts write ё inconsistently).
"""
from __future__ import annotations

import unicodedata

# Removed after NFC: what is left of U+0300/U+0301 has no precomposed form (Cyrillic stress).
_TABLE = str.maketrans({
    "\u0301": None,   # combining acute accent (stress mark)
    "\u0300": None,   # combining grave accent
    "\u00ad": None,   # soft hyphen
    "\u2019": "'",    # right single quotation mark used as an apostrophe
    "\u2010": "-",    # hyphen
    "\u2011": "-",    # non-breaking hyphen
})


def fold_yo(text: str) -> str:
    """ё→е and Ё→Е."""
    # str.replace is a C loop; translate() with a dict would look up every character.
    if "ё" in text:
        text = text.replace("ё", "е")
    if "Ё" in text:
        text = text.replace("Ё", "Е")
    return text


def normalize_text(text: str, lowercase: bool = True, fold: bool = True) -> str:
    """NFC, stress marks and soft hyphens removed, apostrophe/hyphen variants unified,
    then optionally lower-cased and ё-folded.

    >>> normalize_text("Замо\u0301к Ёлки don’t")
    "замок елки don't"
    """
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        # the table's six characters, tested one by one (a generator over them cost more
        # than the tests themselves)
        if ("\u0301" in text or "\u0300" in text or "\u00ad" in text or "\u2019" in text
                or "\u2010" in text or "\u2011" in text):
            text = text.translate(_TABLE)
    if lowercase:
        text = text.lower()
    if fold:
        text = fold_yo(text)
    return text
