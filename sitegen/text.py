"""Small text helpers used by several stages."""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_SLUG = 80


def normalize_title(title: str) -> str:
    """A paper's identity: NFKC, case-folded, whitespace collapsed, no trailing period."""
    text = " ".join(unicodedata.normalize("NFKC", title).casefold().split())
    return text.removesuffix(".").rstrip()


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def slugify(title: str, fallback: str = "paper") -> str:
    """A readable ASCII slug; titles with no Latin letters or digits get `fallback` and a hash."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or f"{fallback}-{short_hash(normalize_title(title), 8)}"
