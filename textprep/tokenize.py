"""Word, character and sentence tokenization for Russian and English (and other alphabets).

A *word* is a run of letters or digits, with inner hyphens and apostrophes kept:
«по-французски», «кто-нибудь», «don't», «O'Brien», «2-й», «COVID-19» are single tokens.
A *number* is a run of digits, with inner ``.``, ``,`` or ``:`` between digits
(«3.14», «1,000», «12:30»).  *Punctuation* is every other non-space character, one per
token (an ellipsis ``...`` stays whole).  Dashes between words (– —) are punctuation, never
part of a word.

Characters are tokens in two ways, for two different consumers:

* :func:`chars` -- every character, spaces included, nothing dropped, so
  ``"".join(chars(t)) == t``.  The character-level language model uses it: its bits per
  character count every character of the text, and generated text must read back exactly.
* :func:`char_tokenize` -- the pipeline's ``level="char"``: its tokens are written to a file
  separated by spaces, so a space cannot be a token there; each run of whitespace becomes
  one :data:`SPACE` token instead (leading and trailing space dropped), and punctuation and
  digits can be left out like at the word level.  Lossy by design.

The functions expect text already passed through :func:`textprep.normalize.normalize_text`
(which turns the typographic apostrophe ’ into ' and the Unicode hyphens into -).

References: the regular-expression tokenizers of NLTK (``RegexpTokenizer``) and
scikit-learn (``token_pattern``) take the same approach; sentence splitting follows the
usual "terminal punctuation, then a capital letter, unless an abbreviation" heuristic
(Kiss & Strunk's Punkt learns the abbreviations instead of listing them).
"""
from __future__ import annotations

import re

# ``[^\W_]`` is "a Unicode letter or digit" (\w without the underscore).
WORD = r"[^\W_]+(?:[-'][^\W_]+)*"
NUMBER = r"\d+(?:[.,:]\d+)+"
#: words and numbers; the number branch comes first so that «3.14» is not cut at the dot
WORD_RE = re.compile(rf"{NUMBER}|{WORD}")
#: words, numbers and punctuation (one character each, ``...`` whole, ``_`` included)
TOKEN_RE = re.compile(rf"{NUMBER}|{WORD}|\.\.\.|[^\w\s]|_")
_PURE_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")

#: the token that stands for a run of whitespace in character-level tokenization
SPACE = "\u2581"


def is_number(token: str) -> bool:
    """True for digits with optional inner ``.``/``,``/``:`` («1805», «3.14»), not «2-й»."""
    return token[:1].isdigit() and _PURE_NUMBER.fullmatch(token) is not None


def is_punctuation(token: str) -> bool:
    """True for a token with no letter or digit («,», «...», «—»)."""
    return not any(ch.isalnum() for ch in token)


#: characters that often surround a word in running text (none of them a letter or digit)
EDGE_CHARS = ".,;:!?()[]{}<>«»\"'“”„‘’‹›-–—−…*/\\|_#&%+=~^`@$§"


def words(text: str) -> list[str]:
    r"""``WORD_RE.findall(text)``, three times faster on running text.

    Most whitespace-separated pieces of a text are one word, perhaps with punctuation
    around it.  A piece that is all letters and digits (``str.isalnum``, the same class as
    the pattern's ``[^\W_]``) is one word; so is such a core between characters that are
    neither letters nor digits, since the pattern's hyphen, apostrophe and number
    separators all need a letter or digit on both sides.  Any other piece («по-французски»,
    «3.14») goes to the pattern.

    >>> words("«Ну, что ж, по-французски?» — 3.14...")
    ['Ну', 'что', 'ж', 'по-французски', '3.14']
    """
    out: list[str] = []
    append = out.append
    for piece in text.split():
        if piece.isalnum():
            append(piece)
            continue
        core = piece.strip(EDGE_CHARS)
        if core.isalnum():
            append(core)
        elif core:
            out.extend(WORD_RE.findall(piece))
    return out


def word_tokenize(text: str, punctuation: bool = False, numbers: bool = True) -> list[str]:
    """Split ``text`` into word tokens (and numbers / punctuation if asked).

    >>> word_tokenize("Он говорил по-французски, don't you know? В 1805 году.")
    ['Он', 'говорил', 'по-французски', "don't", 'you', 'know', 'В', '1805', 'году']
    >>> word_tokenize("Цена: 3.14!", punctuation=True, numbers=False)
    ['Цена', ':', '!']
    """
    if not punctuation:
        tokens = words(text)
    else:
        tokens = TOKEN_RE.findall(text)
    if not numbers:
        tokens = [t for t in tokens if not is_number(t)]
    return tokens


def chars(text: str) -> list[str]:
    """Every character of ``text`` as a token, whitespace included: lossless.

    >>> chars("да,  нет")
    ['д', 'а', ',', ' ', ' ', 'н', 'е', 'т']
    """
    return list(text)


def char_tokenize(text: str, punctuation: bool = True, numbers: bool = True) -> list[str]:
    """One token per character; each run of whitespace becomes one :data:`SPACE` token
    (so that tokens can be written separated by spaces), leading/trailing space dropped.
    See the module docstring for how this differs from :func:`chars`.

    >>> char_tokenize("да,  нет")
    ['д', 'а', ',', '▁', 'н', 'е', 'т']
    """
    out: list[str] = []
    for ch in chars(" ".join(text.split())):
        if ch == " ":
            out.append(SPACE)
        elif ch.isdigit():
            if numbers:
                out.append(ch)
        elif not ch.isalnum():
            if punctuation:
                out.append(ch)
        else:
            out.append(ch)
    return out


# Words that end with a dot without ending the sentence (lower-cased, dot removed).
# «т.д.», «т.п.» are left out on purpose: they usually do end a sentence.
ABBREVIATIONS = frozenset({
    # Russian
    "г", "гг", "гр", "им", "ул", "д", "кв", "стр", "с", "см", "рис", "т", "е", "напр",
    "проф", "акад", "ген", "кн", "св", "тов", "г-н", "г-жа", "др", "пр", "ср", "тыс", "млн",
    "млрд", "руб", "коп", "вв", "в", "ок", "прим", "изд",
    # English
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "cf", "no",
    "vol", "fig", "mt", "gen", "col", "capt", "lt", "sgt", "rev", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
})

# Terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u00bb\u201d)\]]*\s+")
_LAST_WORD = re.compile(r"([^\W\d_]+(?:[.-][^\W\d_]+)*)\.$")


def sentence_split(text: str) -> list[str]:
    """Split a paragraph into sentences.

    A boundary is ``.``, ``!``, ``?`` or ``…`` (possibly followed by closing quotes or
    brackets), then whitespace, then a capital letter or a digit, possibly behind an opening
    quote or a dash (Russian direct speech: «— Да? — спросил он.» stays one sentence).
    A dot after a known abbreviation («г.», «Mr.») or a single capital initial
    («Л. Н. Толстой») is not a boundary.

    >>> sentence_split("В 1805 г. он приехал. «Кто там?» — спросил он. Mr. Smith left.")
    ['В 1805 г. он приехал.', '«Кто там?» — спросил он.', 'Mr. Smith left.']
    """
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        nxt = text[m.end():m.end() + 8].lstrip("«\"'“([—–- ")
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit()):
            continue
        if text[m.start()] == "." and m.group().count(".") == 1:
            w = _LAST_WORD.search(text, start, m.start() + 1)
            if w is not None:
                word = w.group(1)
                if (len(word) == 1 and word.isupper()) or word.lower() in ABBREVIATIONS:
                    continue
        piece = text[start:m.end()].strip()
        if piece:
            sentences.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
