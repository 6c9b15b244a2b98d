"""Related papers: deterministic, about the same things, refreshed by notes, never all pairs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from conftest import Site, copy_sample

from sitegen.cache import Cache
from sitegen.related import POSTINGS, RELATED, STOP_WORDS, TERMS, _scores, _weights, related_papers

RELATED_LINK = re.compile(r'<ol class="related-list">(.*?)</ol>', re.S)
HREF = re.compile(r'href="\.\./papers/([^"]+)\.html"')


def related_on_page(out: Path, slug: str) -> list[str]:
    found = RELATED_LINK.search((out / "papers" / f"{slug}.html").read_text(encoding="utf-8"))
    return HREF.findall(found.group(1)) if found else []


def words(text: str) -> set[str]:
    return {word for word in re.findall(r"[^\W\d_][^\W_]{2,}", text.casefold()) if word not in STOP_WORDS}


def test_each_sample_paper_lists_related_papers_that_share_a_distinctive_word(sample: Site):
    texts = {}
    for path in (sample.root / "content" / "papers").glob("*.md"):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        texts[path.stem] = words(f"{meta['title']} {meta['abstract']}")
    papers_with = {}
    for found in texts.values():
        for word in found:
            papers_with[word] = papers_with.get(word, 0) + 1
    distinctive = {word for word, count in papers_with.items() if count <= len(texts) // 5}  # "models": 3 in 4
    listed = {slug: related_on_page(sample.out, slug) for slug in texts}
    assert sum(1 for slugs in listed.values() if len(slugs) == RELATED) > 0.9 * len(texts)
    for slug, slugs in listed.items():
        assert slug not in slugs and len(set(slugs)) == len(slugs) <= RELATED
        if slugs:
            assert texts[slug] & texts[slugs[0]] & distinctive, (slug, slugs[0])
    assert listed["mamba-linear-time-sequence-modeling-with-selective-state-spaces"][:1] != []


def test_the_lists_are_the_same_in_a_second_cold_build(sample: Site, tmp_path: Path):
    again = copy_sample(tmp_path / "again")
    again.build()
    slugs = [path.stem for path in (sample.out / "papers").glob("*.html")]
    assert [related_on_page(again.out, slug) for slug in slugs] == [related_on_page(sample.out, slug) for slug in slugs]


def test_notes_refresh_a_papers_related_list(site: Site):
    site.write_config("title: Notes\n")
    papers = [
        ("Sparse attention for long documents", "We make attention sparse so that transformers read long inputs."),
        ("Protein folding with language models", "Amino acid sequences go through a language model to fold proteins."),
        ("Sparse attention kernels on GPUs", "Fast kernels for sparse attention patterns in transformers."),
        ("Weather forecasting from satellite images", "Satellite images predict rainfall with convolutional nets."),
        ("Rainfall nowcasting with radar", "Radar echoes predict rainfall in the next hour."),
    ]
    site.dump("a.txt", "".join(f"{title}\n\n{abstract}\n\n" for title, abstract in papers))
    site.build()
    slug = "sparse-attention-for-long-documents"
    assert related_on_page(site.out, slug) == ["sparse-attention-kernels-on-gpus"]
    notes = site.paper_file(slug)
    notes.write_text(notes.read_text(encoding="utf-8") + "\nLike protein folding: amino acid sequences, proteins.\n")
    site.build()
    refreshed = related_on_page(site.out, slug)
    assert refreshed == ["sparse-attention-kernels-on-gpus", "protein-folding-with-language-models"]
    assert slug in related_on_page(site.out, "protein-folding-with-language-models")  # its page is rendered again


def test_texts_with_no_words_in_common_have_no_related_papers(tmp_path: Path):
    papers = [("Alpha", "", ""), ("Beta", "", ""), ("", "", ""), ("Gamma gamma", "delta", "")]
    assert related_papers(papers, Cache(tmp_path, "related")) == [[], [], [], []]
    assert related_papers(papers[:1], Cache(tmp_path, "related")) == [[]]


def test_a_warm_cache_gives_exactly_what_a_cold_one_gives(tmp_path: Path):
    papers = [(f"Paper {n} on {topic}", f"We study {topic} and {other} with method {n % 7}.", "")
              for n, (topic, other) in enumerate(zip(["graphs", "speech", "vision", "proteins"] * 30,
                                                     ["kernels", "noise", "depth", "folding", "robots"] * 24,
                                                     strict=True))]
    (tmp_path / "warm").mkdir()
    warm = Cache(tmp_path / "warm", "related")
    related_papers(papers[::-1] + [("Unrelated", "words about cooking", "")], warm)  # other texts, other numbering
    warm.save()
    cold = related_papers(papers, Cache(tmp_path / "cold", "related"))
    assert related_papers(papers, Cache(tmp_path / "warm", "related")) == cold


def test_the_pairs_scored_grow_with_the_papers_not_their_square(tmp_path: Path):
    """Every paper shares words with every other; the pairs scored stay bounded per paper."""
    def pairs(count: int) -> int:
        papers = [(f"Learning models number {n}", f"Learning deep models with data {n % 13} and {n % 17}.", "")
                  for n in range(count)]
        weights = _weights(papers, Cache(tmp_path / str(count), "related"))
        return sum(len(rows) for rows, _, _ in _scores(weights))

    small, large = pairs(500), pairs(2000)
    assert large <= 2000 * TERMS * POSTINGS
    assert large < 5 * small  # four times the papers, not sixteen times the pairs


def test_every_paper_of_a_large_family_of_alike_papers_has_related_papers(tmp_path: Path):
    """More papers share their few words than a term pairs a paper with: each still finds others."""
    family = [(f"Mamba variant {n}", "Selective scan for mamba.", "") for n in range(3 * POSTINGS)]
    found = related_papers(family, Cache(tmp_path, "related"))
    assert all(len(others) == RELATED for others in found)
    assert all(number not in others for number, others in enumerate(found))
