"""Citations and exports of the whole list: BibTeX, CSV and CSL-JSON, in the site's export/ folder.

Only what a citation needs leaves the paper files: the title, the year, a URL and the
upvotes with the day they were counted; the CSV adds the reading state. Nothing else
from the front matter goes out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

from .model import PaperPage, Site

LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
    "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
LATEX_SPECIALS = re.compile("|".join(map(re.escape, LATEX_SPECIAL)))
SMALL_WORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "towards", "toward", "via", "is",
               "are", "do", "does", "how", "what", "why", "when", "can", "we", "from", "by", "at", "as", "into"}
CSV_COLUMNS = ["key", "title", "date", "authors", "upvotes", "url", "topics", "status", "rating", "tags", "added",
               "page", "upvotes_as_of"]  # a column added later goes last: readers by position keep working


Parts = tuple[str, str, str]  # one paper's BibTeX entry, CSV line and CSL-JSON item


def export_files(site: Site, parts: Mapping[str, Parts]) -> list[tuple[str, bytes]]:
    """(path in the site, content) of every export: all papers, and each topic's papers in BibTeX.

    `parts` are each paper's (paper_parts), by slug: the files are put together from them.
    """
    papers = [parts[paper.slug] for paper in site.papers]
    files = [
        ("export/papers.bib", "\n".join(bibtex for bibtex, _, _ in papers).encode()),
        ("export/papers.csv", (_csv_line(CSV_COLUMNS) + "".join(line for _, line, _ in papers)).encode()),
        ("export/papers.json", ("[" + ", ".join(item for _, _, item in papers) + "]\n").encode()),  # CSL-JSON
    ]
    for topic in site.topics:
        files.append((f"export/topics/{topic.slug}.bib", "\n".join(parts[slug][0] for slug in topic.papers).encode()))
    return files


def paper_parts(paper: PaperPage, key: str, topic_titles: Iterable[str]) -> Parts:
    """What the exports hold of one paper, `key` its citation key and `topic_titles` its topics' titles."""
    url = paper_url(paper)
    line = _csv_line([
        key, paper.title, _iso(paper.date), _blank(paper.authors), _blank(paper.upvotes), url,
        "; ".join(topic_titles), paper.status or "", _blank(paper.rating), "; ".join(paper.tags), _iso(paper.added),
        paper.url, _iso(paper.upvotes_as_of),
    ])
    return bibtex_entry(paper, key, url), line, json.dumps(csl_item(paper, key, url), ensure_ascii=False)


def citation_keys(papers: Iterable[PaperPage]) -> dict[str, str]:
    """Each paper's key (by slug): its title's first significant word and its year; `b`, `c`… after the first.

    Papers that would share a key are told apart in slug order, so keys do not depend
    on the order of the dumps; a suffixed key that another paper has as is moves on.
    """
    keys: dict[str, str] = {}
    used: set[str] = set()
    for paper in sorted(papers, key=lambda paper: paper.slug):
        base = _first_word(paper.title) + (str(paper.year) if paper.year else "")
        key = next(base + _letters(n) for n in itertools.count() if base + _letters(n) not in used)
        keys[paper.slug] = key
        used.add(key)
    return keys


def _first_word(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower())
    return next((word for word in words if word not in SMALL_WORDS), words[0] if words else "paper")


def _letters(count: int) -> str:
    """"" for the first, then b … z, then ba, bb …"""
    if count == 0:
        return ""
    letters = ""
    while count:
        count, digit = divmod(count, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[digit] + letters
    return letters


def latex(text: str) -> str:
    """Text with LaTeX's special characters escaped, on one line."""
    return LATEX_SPECIALS.sub(lambda match: LATEX_SPECIAL[match.group()], " ".join(text.split()))


def paper_url(paper: PaperPage) -> str:
    """Where to read the paper: its arXiv page when its file gives `arxiv:`, else a search for its title."""
    if paper.arxiv:
        return f"https://arxiv.org/abs/{paper.arxiv}"
    return f"https://huggingface.co/papers?q={quote_plus(paper.title)}"


def upvotes_note(paper: PaperPage) -> str:
    """E.g. "42 upvotes on Hugging Face as of 2025-11-13": a count that keeps growing, so with its day if known."""
    if paper.upvotes is None:
        return ""
    as_of = f" as of {paper.upvotes_as_of.isoformat()}" if paper.upvotes_as_of else ""
    return f"{paper.upvotes} upvote{'s' if paper.upvotes != 1 else ''} on Hugging Face{as_of}"


def bibtex_entry(paper: PaperPage, key: str, url: str | None = None) -> str:
    fields = [("title", f"{{{latex(paper.title)}}}")]
    if paper.year:
        fields.append(("year", str(paper.year)))
    fields.append(("url", url or paper_url(paper)))
    if paper.upvotes is not None:
        fields.append(("note", latex(upvotes_note(paper))))
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@misc{{{key},\n{body}}}\n"


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def _blank(value: object) -> str:
    return "" if value is None else str(value)


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def csl_item(paper: PaperPage, key: str, url: str) -> dict[str, object]:
    """The paper in CSL-JSON, which Zotero, Pandoc and citeproc read."""
    item: dict[str, object] = {"id": key, "type": "article", "title": paper.title, "URL": url}
    if paper.date:
        item["issued"] = {"date-parts": [[paper.date.year, paper.date.month, paper.date.day]]}
    if paper.upvotes is not None:
        item["note"] = upvotes_note(paper)
    return item
