"""Generate a large, realistic sitegen site from the sample dumps, deterministically.

Titles recombine fragments of the sample titles around a unique made-up name ("Kavoru: ..."),
abstracts are 6-10 real sentences from different sample abstracts. The papers are spread over
10-20 dumps in the three layouts real dumps have (A: blank-line separated with metadata, B: no
blank lines and `Subscribe` glued to the first title, C: bare title/abstract pairs), with some
papers in two dumps and one page pasted twice.

    python bench/generate.py TARGET N [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

SAMPLE_DUMPS = Path(__file__).resolve().parent.parent / "content" / "dumps"

HEADERS = {
    "new",
    "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!",
    "subscribe",
    "daily papers",
    "byak and the research community",
}
METADATA = re.compile(  # `• 10 authors`, `·`, `Dec 9, 2022 1`, `Oct 31`
    r"(?:[•·]\s*)?\d+\s+authors?|[·•]"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:,? \d{4})?(?: \d+)?"
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
CONNECTOR = re.compile(r" (?=(?:for|with|via|in|on|from|using|by|through|towards?) )")
CONSONANTS = "bdfgklmnprstvxz"
VOWELS = "aeiou"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
TOPICS = [
    "Pretrained models and adaptation",
    "Data filtering and pruning",
    "Self-supervised pre-training",
    "Network architectures",
    "Classification and model analysis",
    "Vision-language models",
    "Efficient inference",
    "Point clouds and 3D",
]
KEYWORD_TOPICS = [("Diffusion models", ["diffusion"]), ("Transformers", ["transformer", "transformers"]),
                  ("Contrastive learning", ["contrastive"])]
HEADER_A = ("new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n{daily}"
            "byAK and the research community\n\n{day}\n\n")
HEADER_B = "Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\nSubscribe"


@dataclass(frozen=True)
class Paper:
    """One generated paper with its metadata line values (None: not shown)."""

    title: str
    abstract: str
    authors: int | None
    date: str | None


def sample_papers(folder: Path = SAMPLE_DUMPS) -> list[tuple[str, str]]:
    """(title, abstract) pairs of the sample dumps, read with a deliberately simple line filter."""
    pairs = []
    for path in sorted(folder.glob("*.txt")):
        lines = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = " ".join(raw.split())
            if line.startswith("Subscribe") and line != "Subscribe":
                line = line.removeprefix("Subscribe")
            if line and line.casefold() not in HEADERS and not METADATA.fullmatch(line):
                lines.append(line)
        pairs += [(t, a) for t, a in zip(lines[::2], lines[1::2], strict=False) if len(t) < len(a)]
    return pairs


class Corpus:
    """Title fragments and abstract sentences of the sample dumps, and a paper maker over them."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        tails = [title.split(":", 1)[-1].strip() for title, _ in pairs]
        self.tails = [tail for tail in tails if len(tail) > 10]
        splits = [CONNECTOR.split(tail, maxsplit=1) for tail in self.tails]
        self.lefts = [parts[0] for parts in splits if len(parts) == 2]
        self.rights = [parts[1] for parts in splits if len(parts) == 2]
        self.sentences = [[s for s in SENTENCE_END.split(abstract) if len(s) > 30] for _, abstract in pairs]
        self.sentences = [group for group in self.sentences if group]

    def title(self, rng: random.Random, number: int) -> str:
        name = unique_name(number)
        recombined = rng.random() < 0.5
        tail = f"{rng.choice(self.lefts)} {rng.choice(self.rights)}" if recombined else rng.choice(self.tails)
        return f"{name}: {tail}" if rng.random() < 0.8 else f"{tail} with {name}"

    def abstract(self, rng: random.Random) -> str:
        groups = rng.sample(self.sentences, min(rng.randint(6, 10), len(self.sentences)))
        text = " ".join(rng.choice(group) for group in groups)
        while len(text) <= 400:  # short lines could read as titles
            text += " " + rng.choice(rng.choice(self.sentences))
        return text

    def paper(self, rng: random.Random, number: int) -> Paper:
        return Paper(self.title(rng, number), self.abstract(rng), authors(rng), paper_date(rng))


def unique_name(number: int) -> str:
    """A made-up name, different (ignoring case) for every number below 75**3 + 75**4: 3 or 4 syllables."""
    width, space = (3, 75**3) if number < 75**3 else (4, 75**4)
    rest = (number % 75**3 if width == 3 else number - 75**3) * 7919 % space  # 7919 is prime to 75: a shuffle
    syllables = []
    for _ in range(width):
        rest, digit = divmod(rest, 75)
        syllables.append(CONSONANTS[digit // 5] + VOWELS[digit % 5])
    word = "".join(syllables)
    camel = "".join(s.capitalize() for s in syllables)
    return [word.capitalize(), camel, word.capitalize(), word.upper()][number % 4]


def authors(rng: random.Random) -> int:
    return min(int(rng.lognormvariate(1.6, 0.6)) + 1, 60)


def paper_date(rng: random.Random) -> str:
    """`Oct 30, 2023 1` (year and upvotes), `Oct 30, 2023`, `Mar 13` (this year, no year shown) and so on."""
    day = dt.date(2017, 1, 1) + dt.timedelta(days=rng.randrange(8 * 365))
    upvotes = f" {int(rng.paretovariate(1.1))}" if rng.random() < 0.4 else ""
    if rng.random() < 0.25:
        return f"{rng.choice(MONTHS[:10])} {rng.randint(1, 28)}{upvotes}"
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}{upvotes}"


def entry_a(paper: Paper, with_metadata: bool = True) -> str:
    """One paper in layout A: title, abstract, then `  • N authors`, `·` and the date line."""
    text = f"{paper.title}\n\n{paper.abstract}\n\n"
    if with_metadata and paper.date:
        text += f"  • {paper.authors} authors\n·\n{paper.date}\n\n"
    return text


def page_a(papers: list[Paper], rng: random.Random) -> str:
    daily = "Daily Papers\n\n" if rng.random() < 0.7 else ""
    text = HEADER_A.format(daily=daily, day=f"{rng.choice(MONTHS)} {rng.randint(1, 28)}")
    return text + "".join(entry_a(p, rng.random() < 0.9) for p in papers)


def page_b(papers: list[Paper]) -> str:
    return HEADER_B + "".join(f"{p.title}\n{p.abstract}\n" for p in papers)


def page_c(papers: list[Paper]) -> str:
    return "".join(f"{p.title}\n\n{p.abstract}\n\n" for p in papers)


def dump_text(layout: str, papers: list[Paper], rng: random.Random, repeat_first_page: bool) -> str:
    """A dump: pages of 40-150 papers in one layout; optionally the first page pasted again at the end."""
    pages, start = [], 0
    while start < len(papers) or not pages:
        size = rng.randint(40, 150)
        chunk = papers[start : start + size]
        start += size
        pages.append(page_a(chunk, rng) if layout == "A" else page_b(chunk) if layout == "B" else page_c(chunk))
    if repeat_first_page:
        pages.append(pages[0])
    return "".join(pages)


def site_yaml(groups: list[list[str]]) -> str:
    lines = ["# Generated by bench/generate.py", "title: Benchmark reading list",
             "description: Generated from the sample dumps for benchmarks.", "", "topics:"]
    for title, dumps in zip(TOPICS, groups, strict=False):
        lines += [f"  - title: {title}", f"    description: Generated papers about {title.lower()}.",
                  f"    dumps: [{', '.join(dumps)}]", ""]
    for title, keywords in KEYWORD_TOPICS:
        lines += [f"  - title: {title}", f"    description: Every paper that mentions {keywords[0]}.",
                  f"    keywords: [{', '.join(keywords)}]", ""]
    return "\n".join(lines)


def title_key(title: str) -> str:
    """What sitegen merges papers on: the title ignoring case, spacing and a final period."""
    return " ".join(title.casefold().split()).removesuffix(".")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def generate(target: Path, n: int, seed: int = 1) -> None:
    """Write site.yaml and content/dumps/*.txt with n unique papers under target."""
    rng = random.Random(seed)
    corpus = Corpus(sample_papers())
    papers, seen = [], set()
    for number in range(n):
        paper = corpus.paper(rng, number)
        while title_key(paper.title) in seen:  # the unique name makes this all but impossible
            paper = corpus.paper(rng, number)
        seen.add(title_key(paper.title))
        papers.append(paper)

    count = 10 + min(10, n // 5000)
    layouts = ["B" if d % 7 == 3 else "C" if d % 7 == 5 else "A" for d in range(count)]
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    bounds = [round(n * sum(weights[: d + 1]) / sum(weights)) for d in range(count)]
    parts = [papers[a:b] for a, b in zip([0, *bounds], bounds, strict=False)]
    for paper_index in rng.sample(range(n), n // 20):  # 5% of the papers are in a second dump too
        home = next(d for d, bound in enumerate(bounds) if paper_index < bound)
        other = (home + rng.randrange(1, count)) % count
        parts[other].insert(rng.randint(0, len(parts[other])), papers[paper_index])

    topics = min(len(TOPICS), count // 2)  # two or three dumps per topic
    groups = [list(range(t, count, topics)) for t in range(topics)]
    names = [""] * count
    for topic, members in zip(TOPICS, groups, strict=False):
        for k, d in enumerate(members, start=1):
            names[d] = f"{slugify(topic)}-{k}.txt"
    dumps = target / "content" / "dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    for d in range(count):
        text = dump_text(layouts[d], parts[d], rng, repeat_first_page=d == 0)
        (dumps / names[d]).write_text(text, encoding="utf-8", newline="\n")
    (target / "site.yaml").write_text(site_yaml([[names[d] for d in g] for g in groups]), encoding="utf-8")


def new_papers(count: int, seed: int) -> list[Paper]:
    """Papers whose titles differ from every generated site's (their names come after any n used here)."""
    rng = random.Random(seed)
    corpus = Corpus(sample_papers())
    return [corpus.paper(rng, 10_000_000 + seed * count + k) for k in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.target, args.n, args.seed)


if __name__ == "__main__":
    main()
