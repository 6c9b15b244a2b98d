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

What search loads before it answers is small: the store (what a result shows before
its snippet) and the index, in parts. A part lists its terms with their postings and
term frequencies, and each field's length; search.js merges the parts and computes the
BM25 weights exactly as lunr builds them (sending them would triple the download).
Abstracts and notes, which only snippets use, are in text files of their own that
search.js loads for the results it shows.

A paper's text file, and so its index part, comes from a hash of its page alone, and
the number of files is a power of two that changes only when the list doubles: adding
papers rewrites only the files they go to. Each file is cached by its papers' text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar, cast

from lunr.pipeline import Pipeline
from lunr.stemmer import PorterStemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token

from .cache import Cache
from .config import display_path
from .errors import SitegenError
from .model import PaperPage, Site, listed_digests

FIELDS = (("title", 10), ("topics", 3), ("tags", 3), ("abstract", 1), ("notes", 1))
STORE_FILE = "assets/search-store.js"
INDEX_FILE = "assets/search-index-{}.js"
TEXT_FILE = "assets/search-text-{}.js"
INDEX_PAPERS_PER_FILE = 200  # 64 parts at 10,000 papers: ten new papers re-encode a sixth of the index
TEXT_PAPERS_PER_FILE = 200  # 64 files at 10,000 papers: a result's snippet loads a few hundred KB

ACCENTS = re.compile(r"[\u0300-\u036f]")
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
SEPARATORS = re.compile(r"[\s\-]+")


class _LunrJsStemmer(PorterStemmer):
    b: str  # the word being stemmed (lunr.py's PorterStemmer has no type information)

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


trimmer.label = "trimmer"  # type: ignore[attr-defined]  # lunr names a pipeline function by its label


def stemmer(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
    return token.update(_porter.stem)


stemmer.label = "stemmer"  # type: ignore[attr-defined]  # the name lunr.js knows its own (equivalent) stemmer by

PIPELINE = Pipeline()
PIPELINE.add(trimmer, stop_word_filter, stemmer)


def prepare(text: str) -> str:
    """Fold text the way search.js folds a query: accents off, CJK in pairs, one kind of space."""
    if text.isascii():  # most text: nothing to fold but case
        return text.lower()
    text = unicodedata.normalize("NFC", ACCENTS.sub("", unicodedata.normalize("NFKD", text)))
    text = CJK_RUN.sub(lambda run: " " + _pairs(run.group()) + " ", text)
    return text.lower()


def _pairs(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


FieldTerms = tuple[tuple[tuple[str, int], ...], int]  # (term, count) pairs, and the field length


class Terms:
    """Words to index terms through the pipeline, each distinct word only once."""

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}

    def __call__(self, text: str) -> FieldTerms:
        """The text's terms with their counts, and the field length as lunr counts it.

        lunr counts a word that trims to nothing ("—", an emoji) in the field's
        length, so BM25 scores match lunr.js's own; the empty term itself is never
        searched, so it is left out of the index. Stop words count nowhere.
        """
        words = SEPARATORS.split(prepare(text))
        try:  # most texts have no word that an earlier one did not have
            counts = Counter(map(self._cache.__getitem__, words))
        except KeyError:
            for word in set(words).difference(self._cache):
                tokens = PIPELINE.run([Token(word)]) if word else []
                self._cache[word] = str(tokens[0]) if tokens else None
            counts = Counter(map(self._cache.__getitem__, words))
        counts.pop(None, None)
        length = counts.total()
        counts.pop("", None)
        return tuple(cast("Counter[str]", counts).items()), length  # None popped


def field_texts(paper: PaperPage, topic_titles: dict[str, str]) -> tuple[str, ...]:
    """The text of each of FIELDS for one paper."""
    return (
        paper.title,
        " ".join(topic_titles[slug] for slug in paper.topics),
        " ".join(paper.tags),
        paper.abstract,
        paper.notes,
    )


def file_count(papers: int, per_file: int) -> int:
    """A power of two near papers / per_file: it changes only when the list doubles, so files stay put."""
    count = 1
    while count * per_file < papers:
        count *= 2
    return count


@dataclass(frozen=True)
class _Entry:
    """A paper as search files need it: a digest of all it shows, and its text file."""

    paper: PaperPage
    key: bytes
    text_file: int


def _entries(site: Site, listed: Mapping[str, bytes]) -> list[_Entry]:
    """The site's papers, each in a text file chosen by a hash of its page alone (other papers never move it).

    An entry's key is made of the paper's listed digest and notes, and the topics' titles.
    """
    topics = hashlib.sha1(repr([(topic.slug, topic.title) for topic in site.topics]).encode()).digest()
    text_files = _text_files(site)
    entries = []
    for paper in site.papers:
        bucket = int.from_bytes(hashlib.sha1(paper.url.encode("utf-8", "surrogatepass")).digest()[:4], "big")
        key = hashlib.sha1(listed[paper.slug] + topics + paper.notes.encode("utf-8", "surrogatepass")).digest()
        entries.append(_Entry(paper, key, bucket % text_files))
    return entries


def _index_files(site: Site) -> int:
    return file_count(len(site.papers), INDEX_PAPERS_PER_FILE)


def _text_files(site: Site) -> int:
    """At least as many as index parts (both powers of two): a text file's papers are all in one part."""
    return max(file_count(len(site.papers), TEXT_PAPERS_PER_FILE), _index_files(site))


def _groups(entries: list[_Entry], count: int) -> list[list[_Entry]]:
    """The entries of text file (or index part) n modulo count, in the site's order."""
    groups: list[list[_Entry]] = [[] for _ in range(count)]
    for entry in entries:
        groups[entry.text_file % count].append(entry)
    return groups


T = TypeVar("T")


def _cached(cache: Cache | None, key: tuple[object, ...], make: Callable[[], T]) -> T:
    value: T | None = cache.get(key) if cache else None
    if value is None:
        value = make()
        if cache:
            cache.put(key, value)
    return value


def _index_part(papers: list[tuple[FieldTerms, ...]]) -> str:
    """One part's field lengths, terms and postings as quoted JSON (see search.js).

    A posting is [slot, tf, slot delta, tf, ...] where slot = paper number in the part * len(FIELDS) + field.
    """
    lengths: list[int] = []
    postings: dict[str, list[int]] = {}
    last: dict[str, int] = {}
    slot = 0
    for fields in papers:
        for counts, length in fields:
            lengths.append(length)
            for term, count in counts:
                found = postings.get(term)
                if found is None:
                    postings[term] = [slot, count]
                else:
                    found += (slot - last[term], count)
                last[term] = slot
            slot += 1
    ordered = sorted(postings)  # any order: search.js sorts the merged terms
    return _quote(_json({"lengths": lengths, "terms": ordered, "postings": [postings[term] for term in ordered]}))


def _index_files_content(site: Site, entries: list[_Entry], cache: Cache | None) -> list[bytes]:
    """The index in parts: part n holds the papers of the text files n modulo the number of parts.

    A part is cached by its papers' text, so an edit re-encodes one part, and its papers'
    terms are cached with it by their text, so an edit re-reads one paper. The terms are
    kept as one pickled blob a part: unpickled only when the part changed, not (a million
    small tuples at 10,000 papers) on every build.
    """
    terms_of = Terms()
    topic_titles = {topic.slug: topic.title for topic in site.topics}
    files = []
    for n, group in enumerate(_groups(entries, _index_files(site))):
        key = ("index", n, hashlib.sha1(b"".join(entry.key for entry in group)).digest())
        blob = cache.get(("terms", n)) if cache else None
        content = cache.get(key) if cache else None
        if content is None:
            known = pickle.loads(blob) if blob else {}
            terms = {e.key: known.get(e.key) or tuple(map(terms_of, field_texts(e.paper, topic_titles))) for e in group}
            content = as_script(
                f"(window.sitegenSearchIndex = window.sitegenSearchIndex || [])[{n}]",
                _index_part([terms[entry.key] for entry in group]),
            )
            if cache:
                cache.put(key, content)
                cache.put(("terms", n), pickle.dumps(terms, protocol=pickle.HIGHEST_PROTOCOL))
        files.append(content)
    return files


def _text_files_content(site: Site, entries: list[_Entry], cache: Cache | None) -> list[bytes]:
    """Snippet text by file, {page: [abstract, notes]}, each file cached by its papers' pages and text."""
    files = []
    for n, group in enumerate(_groups(entries, _text_files(site))):
        files.append(_cached(
            cache, ("text", n, hashlib.sha1(b"".join(e.paper.url.encode() + e.key for e in group)).digest()),
            partial(_text_file, n, group),
        ))
    return files


def _text_file(n: int, group: list[_Entry]) -> bytes:
    return as_script(
        f"(window.sitegenSearchText = window.sitegenSearchText || [])[{n}]",
        _quote(_json({e.paper.url: [e.paper.abstract, e.paper.notes.strip()] for e in group})),
    )


def _store(site: Site, entries: list[_Entry]) -> dict[str, object]:
    """What a result shows before its snippet: title, page, date, upvotes, topics, code, tags, text file, status."""
    topic_number = {topic.slug: number for number, topic in enumerate(site.topics)}
    return {
        "fields": [name for name, _ in FIELDS],
        "boosts": [boost for _, boost in FIELDS],
        "indexFiles": _index_files(site),
        "topics": [[topic.slug, topic.title] for topic in site.topics],
        "tagSlugs": {name: tag.slug for name, tag in sorted(site.tag_by_name.items())},
        "docs": [_stored(entry.paper, topic_number, entry.text_file) for entry in entries],
    }


def _stored(paper: PaperPage, topic_number: dict[str, int], text_file: int) -> list[object]:
    return [
        paper.title,
        paper.url,
        paper.date.isoformat() if paper.date else "",
        paper.upvotes,
        [topic_number[slug] for slug in paper.topics],
        int(any(link.is_code for link in paper.links)),
        list(paper.tags),
        text_file,
        paper.status or "",
    ]


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _quote(text: str) -> str:
    """JSON text as the inside of a JavaScript '...' string."""
    return text.replace("\\", "\\\\").replace("'", "\\'").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def as_script(target: str, quoted: str) -> bytes:
    """`<target> = JSON.parse('<quoted>')`: parsing a string is much faster than a JavaScript literal."""
    return f"{target} = JSON.parse('{quoted}');\n".encode()


@dataclass(frozen=True)
class Payload:
    raw: int
    gzip: int

    def __str__(self) -> str:
        return f"{self.raw / 1024:.0f} KB ({self.gzip / 1024:.0f} KB gzip)"


def search_files(
    site: Site, cache: Cache | None = None, listed: Mapping[str, bytes] | None = None
) -> list[tuple[str, bytes]]:
    """(path in the output, JavaScript) for the store, the index parts and the snippet text files.

    Each file assigns into a global that search.js reads: it loads the store and the
    index parts to answer queries, and a text file only when a result from it is shown.
    """
    entries = _entries(site, listed or listed_digests(site.papers))
    store = as_script("window.sitegenSearchStore", _quote(_json(_store(site, entries))))
    index = _index_files_content(site, entries, cache)
    texts = _text_files_content(site, entries, cache)
    return [
        (STORE_FILE, store),
        *((INDEX_FILE.format(n), content) for n, content in enumerate(index)),
        *((TEXT_FILE.format(n), content) for n, content in enumerate(texts)),
    ]


def loads_first(path: str) -> bool:
    """Whether search loads this output file before it shows results (snippet text files come later)."""
    return path.endswith(".js") and not path.startswith(TEXT_FILE.split("{")[0])


def payload(contents: Iterable[bytes], cache: Cache | None = None) -> Payload:
    """Size of what search loads, raw and gzip-compressed, summed over files (each gzip size cached by content)."""
    raw = compressed = 0
    for content in contents:
        raw += len(content)
        compressed += _cached(cache, ("gzip", hashlib.sha1(content).digest()), partial(_gzip_size, content))
    return Payload(raw, compressed)


def _gzip_size(content: bytes) -> int:
    return len(gzip.compress(content, 6, mtime=0))  # level 6: what web servers use


PACKAGE = Path(__file__).resolve().parent
# An installed sitegen carries lunr.js inside the package (setup.py copies it there); a checkout has it from `npm ci`.
LUNR_DIR = PACKAGE / "lunr" if (PACKAGE / "lunr").is_dir() else PACKAGE.parent / "node_modules" / "lunr"


def lunr_files() -> list[tuple[str, bytes]]:
    """lunr.min.js and its licence."""
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
