"""The search index and document store, as <script>-loadable JavaScript files.

Terms come from a lunr.py pipeline (trimmer, stop-word filter, Porter stemmer), with
changes that make Python and lunr.js agree and that serve other scripts than English:

- the trimmer strips what is not a letter, digit or mark from both ends of a word, as
  lunr.js's does for ASCII (lunr.py's leaves "(e.g.," whole), for every script;
- the stemmer's step 1c follows lunr.js (a final y becomes i only after a consonant
  that is not the first letter), so queries stemmed in the browser meet the same terms;
- text is folded first (NFKD, accents removed, CJK split into overlapping pairs), the
  same way search.js folds what the user types, so `cafe` finds "café" and CJK words
  are searchable without spaces.

The index is written compactly: the terms (in JavaScript's UTF-16 order, which
lunr.js requires) with their postings and term frequencies, and each field's length.
search.js turns that into a lunr.Index, computing the BM25 field vectors exactly as
lunr builds them; sending the vectors would triple the download.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lunr.pipeline import Pipeline
from lunr.stemmer import PorterStemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token

from .cache import Cache
from .config import display_path
from .errors import SitegenError
from .model import PaperPage, Site

FIELDS = (("title", 10), ("topics", 3), ("tags", 3), ("abstract", 1), ("notes", 1))
INDEX_FILE = "assets/search-index.js"
STORE_FILE = "assets/search-store.js"

ACCENTS = re.compile(r"[\u0300-\u036f]")
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
SEPARATORS = re.compile(r"[\s\-]+")


class _LunrJsStemmer(PorterStemmer):
    def step1c(self) -> None:
        """lunr.js: a final y becomes i only after a non-vowel that is not the first letter."""
        if self.b[self.k] == "y" and self.k - 1 > self.k0 and self.b[self.k - 1] not in "aeiou":
            self.b = self.b[: self.k] + "i" + self.b[self.k + 1 :]


_porter = _LunrJsStemmer()


def _is_word_character(character: str) -> bool:
    return character == "_" or unicodedata.category(character)[0] in "LNM"


def _trim(word: str, metadata: object = None) -> str:
    start, end = 0, len(word)
    while start < end and not _is_word_character(word[start]):
        start += 1
    while end > start and not _is_word_character(word[end - 1]):
        end -= 1
    return word[start:end]


def trimmer(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
    return token.update(_trim)


trimmer.label = "trimmer"


def stemmer(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
    return token.update(_porter.stem)


stemmer.label = "stemmer"  # the name lunr.js knows its own (equivalent) stemmer by

PIPELINE = Pipeline()
PIPELINE.add(trimmer, stop_word_filter, stemmer)


def prepare(text: str) -> str:
    """Fold text the way search.js folds a query: accents off, CJK in pairs, one kind of space."""
    text = unicodedata.normalize("NFC", ACCENTS.sub("", unicodedata.normalize("NFKD", text)))
    text = CJK_RUN.sub(lambda run: " " + _pairs(run.group()) + " ", text)
    return text.lower()


def _pairs(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


class Terms:
    """Words to index terms through the pipeline, each distinct word only once."""

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}

    def __call__(self, text: str) -> tuple[list[str], int]:
        """The text's terms, and the field length as lunr counts it.

        lunr counts a word that trims to nothing ("—", an emoji) in the field's
        length, so BM25 scores match lunr.js's own; the empty term itself is never
        searched, so it is left out of the index. Stop words count nowhere.
        """
        terms, length = [], 0
        for word in SEPARATORS.split(prepare(text)):
            if not word:
                continue
            if word in self._cache:
                term = self._cache[word]
            else:
                tokens = PIPELINE.run([Token(word)])
                term = self._cache[word] = str(tokens[0]) if tokens else None
            if term is not None:
                length += 1
                if term:
                    terms.append(term)
        return terms, length


def field_texts(paper: PaperPage, topic_titles: dict[str, str]) -> tuple[str, ...]:
    """The text of each of FIELDS for one paper."""
    return (
        paper.title,
        " ".join(topic_titles[slug] for slug in paper.topics),
        " ".join(paper.tags),
        paper.abstract,
        paper.notes,
    )


def utf16_order(term: str) -> bytes:
    return term.encode("utf-16-be", "surrogatepass")


FieldTerms = tuple[tuple[tuple[str, int], ...], int]  # (term, count) pairs in order, and the field length


def build_index(site: Site, cache: Cache | None = None) -> dict[str, object]:
    """The compact index: fields, boosts, field lengths, terms and postings (see search.js).

    A paper's terms are cached by its text, so an edit re-reads only that paper.
    """
    topic_titles = {topic.slug: topic.title for topic in site.topics}
    terms_of = Terms()
    lengths: list[int] = []
    postings: dict[str, list[list[int]]] = {}
    for doc, paper in enumerate(site.papers):
        for field, (counts, length) in enumerate(_paper_terms(field_texts(paper, topic_titles), terms_of, cache)):
            lengths.append(length)
            for term, count in counts:
                by_field = postings.setdefault(term, [[] for _ in FIELDS])
                by_field[field].append(doc)
                by_field[field].append(count)
    ordered = sorted(postings, key=utf16_order)
    return {
        "fields": [name for name, _ in FIELDS],
        "boosts": [boost for _, boost in FIELDS],
        "count": len(site.papers),
        "lengths": lengths,
        "terms": ordered,
        "postings": [_encode_postings(postings[term]) for term in ordered],
    }


def _paper_terms(texts: tuple[str, ...], terms_of: Terms, cache: Cache | None) -> tuple[FieldTerms, ...]:
    key = hashlib.sha1(repr(texts).encode("utf-8", "surrogatepass")).digest()
    found = cache.get(key) if cache else None
    if found is None:
        found = tuple(
            (tuple(Counter(terms).items()), length) for terms, length in (terms_of(text) for text in texts)
        )
        if cache:
            cache.put(key, found)
    return found


def _encode_postings(by_field: list[list[int]]) -> list[int]:
    """[field, n, doc delta, tf, doc delta, tf, ..., next field, ...] for the fields that have the term."""
    encoded: list[int] = []
    for field, pairs in enumerate(by_field):
        if not pairs:
            continue
        encoded += [field, len(pairs) // 2]
        previous = 0
        for doc, count in zip(pairs[::2], pairs[1::2], strict=True):
            encoded += [doc - previous, count]
            previous = doc
    return encoded


def build_store(site: Site) -> dict[str, object]:
    """Only what a result shows: title, page, date, upvotes, topics, code, and snippet text."""
    topic_number = {topic.slug: number for number, topic in enumerate(site.topics)}
    return {
        "topics": [[topic.slug, topic.title] for topic in site.topics],
        "docs": [_stored(paper, topic_number) for paper in site.papers],
    }


def _stored(paper: PaperPage, topic_number: dict[str, int]) -> list[object]:
    return [
        paper.title,
        paper.url,
        paper.date.isoformat() if paper.date else "",
        paper.upvotes,
        [topic_number[slug] for slug in paper.topics],
        int(any(link.is_code for link in paper.links)),
        paper.abstract,
        paper.notes.strip(),
        list(paper.tags),
    ]


def as_script(variable: str, data: object) -> str:
    """`window.X = JSON.parse('...')`: parsing a string is much faster than a JS literal."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    quoted = text.replace("\\", "\\\\").replace("'", "\\'").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.{variable} = JSON.parse('{quoted}');\n"


@dataclass(frozen=True)
class Payload:
    raw: int
    gzip: int

    def __str__(self) -> str:
        return f"{self.raw / 1024:.0f} KB ({self.gzip / 1024:.0f} KB gzip)"


def search_files(site: Site, cache: Cache | None = None) -> list[tuple[str, bytes]]:
    """(path in the output, JavaScript) for the index and the store."""
    return [
        (INDEX_FILE, as_script("sitegenSearchIndex", build_index(site, cache)).encode()),
        (STORE_FILE, as_script("sitegenSearchStore", build_store(site)).encode()),
    ]


def payload(contents: Iterable[bytes]) -> Payload:
    """Size of what search loads, raw and gzip-compressed, summed over files."""
    raw = compressed = 0
    for content in contents:
        raw += len(content)
        compressed += len(gzip.compress(content, compresslevel=6, mtime=0))  # what web servers use
    return Payload(raw, compressed)


LUNR_DIR = Path(__file__).resolve().parent.parent / "node_modules" / "lunr"


def lunr_files() -> list[tuple[str, bytes]]:
    """lunr.min.js and its licence, from the npm package `make build` installs."""
    try:
        return [
            ("assets/lunr.min.js", (LUNR_DIR / "lunr.min.js").read_bytes()),
            ("assets/lunr.LICENSE.txt", (LUNR_DIR / "LICENSE").read_bytes()),
        ]
    except OSError:
        raise SitegenError(
            "lunr.js is missing; run `npm ci` in the sitegen folder (`make build` does it)",
            display_path(LUNR_DIR / "lunr.min.js"),
        ) from None
