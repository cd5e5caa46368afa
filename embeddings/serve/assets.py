"""The page's files (HTML, CSS, JS), read once from the package's ``static/`` folder.

Requests name an asset; the name is looked up in a fixed table made at start-up, never
joined to a folder path.  ``../``, absolute paths and their percent-encoded forms are
simply names that are not in the table, so nothing outside these files can be served.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}

# Everything the page needs comes from this server: no CDN, no fonts from elsewhere, so it
# works offline and a page that tried to reach out would be stopped by the browser.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    media_type: str


def load_assets(package: str = "embeddings.serve", folder: str = "static") -> dict[str, Asset]:
    """``{file name: Asset}`` for the files of ``package/folder`` with a known type."""
    table = {}
    for entry in resources.files(package).joinpath(folder).iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in TYPES:
            table[entry.name] = Asset(entry.name, entry.read_bytes(), TYPES[suffix])
    if "index.html" not in table:
        raise RuntimeError(f"{package}/{folder}/index.html is missing: the package is installed without its page")
    return table
