"""The search index: built by lunr.py, loaded and queried by lunr.js under Node."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, Site, copy_sample
from lunr.builder import Builder
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token

from sitegen.config import load_config
from sitegen.model import build_site
from sitegen.search import (
    FIELDS,
    SEPARATORS,
    TEXT_PAPERS_PER_FILE,
    field_texts,
    file_count,
    prepare,
    stemmer,
    trimmer,
)
from sitegen.store import load

NODE_HELPER = Path(__file__).with_name("search_node.js")

# Titles and abstracts in many scripts; the odd characters meet at the same positions
# (U+FFFD and private-use next to emoji and math letters) to exercise UTF-16 term order.
MULTILINGUAL = [
    ("Réseaux de neurones pour la détection d'objets", "Nous présentons un réseau léger. Café crème et naïve Bayes."),
    ("深度学习的图像分类方法", "我们提出一种新的深度学习方法,用于图像分类。"),
    ("تعلم الآلة للغة العربية", "نقدم نموذجا جديدا لمعالجة اللغة العربية الطبيعية."),
    ("Emoji 🧠 brains and 🚀 rockets", "A model a😀b of tokens a\ufffdb and a\ue000b with 𝐱 math and ﬁne-tuning."),
    ("ＦＵＬＬＷＩＤＴＨ Transformers for Ünïcödé", "Ｔｅｓｔ of fullwidth letters, Ｓｃｈｒｉｆｔ and Straße."),
    ("Über die Schätzung großer Modelle", "Wir schätzen große Sprachmodelle mit wenig Daten."),
]


FULLWIDTH = MULTILINGUAL[4][0]


def run_node(request: dict) -> object:
    result = subprocess.run(
        ["node", str(NODE_HELPER)], input=json.dumps(request), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def multilingual_dump() -> str:
    return "".join(f"{title}\n\n{abstract}\n\n" for title, abstract in MULTILINGUAL)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The sample reading list plus papers in many scripts."""
    site = copy_sample(tmp_path_factory.mktemp("mixed"))
    site.dump("multilingual.txt", multilingual_dump())
    site.build()
    return site


def words_of(text: str) -> set[str]:
    return {str(trimmer(Token(word))) for word in SEPARATORS.split(prepare(text)) if word}


def test_stemmer_agrees_with_lunrjs_on_every_word_of_the_sample(sample: Site):
    words: set[str] = {"lay", "play", "day", "survey", "display", "array", "key", "try", "why", "fly", "by", "sky"}
    for dump in (ROOT / "content" / "dumps").glob("*.txt"):
        words |= words_of(dump.read_text(encoding="utf-8"))
    for title, abstract in MULTILINGUAL:
        words |= words_of(f"{title} {abstract}")
    ordered = sorted(words)
    python = [str(stemmer(Token(word))) for word in ordered]
    javascript = run_node({"action": "stem", "words": ordered})
    differences = [(w, p, j) for w, p, j in zip(ordered, python, javascript, strict=True) if p != j]
    assert len(ordered) > 6000
    assert differences == []


def test_python_and_browser_fold_text_the_same_way():
    texts = [f"{title} {abstract}" for title, abstract in MULTILINGUAL] + ["Ⅻ ½ ﬀ ＡＢＣ 𝐀𝐁 café\u0301 İstanbul"]
    assert run_node({"action": "prepare", "texts": texts}) == [prepare(text) for text in texts]


def lunr_py_vectors(site: Site) -> dict[str, dict[str, float]]:
    """Field vectors as lunr.py's own Builder computes them for the site's documents."""

    config = load_config(site.config)
    model = build_site(config, load(config.papers_dir).documents, ())
    titles = {topic.slug: topic.title for topic in model.topics}
    builder = Builder()
    builder.pipeline.add(trimmer, stop_word_filter, stemmer)
    builder.ref("id")
    for number, (name, boost) in enumerate(FIELDS):
        builder.field(name, boost=boost, extractor=lambda doc, n=number: prepare(doc["texts"][n]))
    for number, paper in enumerate(model.papers):
        builder.add({"id": str(number), "texts": field_texts(paper, titles)})
    index = builder.build()
    terms = {posting["_index"]: term for term, posting in index.inverted_index.items()}
    return {  # sitegen leaves out the empty term (what "—" trims to): nobody can search for it
        str(ref): {
            terms[i]: score for i, score in zip(vector.elements[::2], vector.elements[1::2], strict=True) if terms[i]
        }
        for ref, vector in index.field_vectors.items()
    }


def test_browser_rebuilds_exactly_the_vectors_lunr_py_computes(mixed: Site):
    expected = lunr_py_vectors(mixed)
    actual = run_node({"action": "vectors", "site": str(mixed.out)})
    assert actual.keys() == expected.keys()
    assert len(expected) == (346 + len(MULTILINGUAL)) * len(FIELDS)
    for ref, scores in expected.items():
        assert actual[ref].keys() == scores.keys(), ref
        for term, score in scores.items():
            assert actual[ref][term] == pytest.approx(score, abs=0.0011), (ref, term)


ASCII_QUERIES = [
    "diffusion",
    "data filtering",
    "pretrain*",
    "title:network",
    "+data -image",
    "transformer~1",
    "vision language model",
    "pruning sparse",
    "abstract:clip",
    "test time adaptation",
]


def test_index_loads_in_lunrjs_and_answers_like_the_index_lunrjs_builds(mixed: Site):
    """Same papers for every query, against lunr.js's index of the same documents folded as sitegen folds them.

    lunr.js's ASCII trimmer drops CJK and Arabic words, which shifts its field lengths and so
    its scores by a few thousandths: the order can differ only between near ties.
    """
    answers = run_node({"action": "compare", "site": str(mixed.out), "queries": ASCII_QUERIES, "fold": True})
    for answer in answers:
        assert answer["ours"], answer["query"]
        assert sorted(answer["ours"]) == sorted(answer["theirs"]), answer["query"]
        assert answer["ours"][:5] == answer["theirs"][:5], answer["query"]


def test_plain_queries_score_every_paper_as_lunrjs_does(mixed: Site):
    """sitegen adds up the weights itself (fast) instead of lunr.Index.query: the same papers get the same scores."""
    queries = ["diffusion", "data filtering", "transfor", "difusion", "vision language model", "学习", "reseaux"]
    for answer in run_node({"action": "scores", "site": str(mixed.out), "queries": queries}):
        assert answer["ours"], answer["query"]
        for ref, score in answer["ours"]:
            assert score == pytest.approx(answer["theirs"][ref], rel=1e-9), (answer["query"], ref)
        scores = [score for _, score in answer["ours"]]
        assert scores == sorted(scores, reverse=True)


def test_on_english_text_the_ranking_is_exactly_lunrjs(sample: Site):
    answers = run_node({"action": "compare", "site": str(sample.out), "queries": ASCII_QUERIES, "fold": False})
    for answer in answers:
        assert answer["ours"] == answer["theirs"], answer["query"]


@pytest.mark.parametrize(
    ("query", "title", "marked"),
    [
        ("réseaux", "Réseaux de neurones pour la détection d'objets", ["Réseaux"]),
        ("reseaux detection", "Réseaux de neurones pour la détection d'objets", ["Réseaux", "détection"]),
        ("学习", "深度学习的图像分类方法", ["学习"]),
        ("图像分类", "深度学习的图像分类方法", ["图像分类"]),
        ("العربية", "تعلم الآلة للغة العربية", ["العربية"]),
        ("ﬁne-tuning emoji", "Emoji 🧠 brains and 🚀 rockets", ["Emoji"]),
        ("fullwidth transformers", FULLWIDTH, ["ＦＵＬＬＷＩＤＴＨ", "Transformers"]),
        ("unicode", FULLWIDTH, ["Ünïcödé"]),
        ("schatzung", "Über die Schätzung großer Modelle", ["Schätzung"]),
        ("transfor", None, ["Transformers"]),
        ("difusion", None, ["Diffusion"]),
        ("stichable", "Stitchable Neural Networks", ["Stitchable"]),
    ],
)
def test_plain_queries_find_and_highlight(mixed: Site, query: str, title: str | None, marked: list[str]):
    (results,) = run_node({"action": "search", "site": str(mixed.out), "queries": [query]})
    assert results, query
    first = results[0]
    if title:
        assert first["title"] == title
    assert set(marked) <= set(first["marked"]), first


def test_unparsable_query_raises_lunrs_own_error_for_the_page_to_show(mixed: Site):
    script = (
        "const lunr=require(process.argv[1]);const core=require(process.argv[2]);"
        "const idx=core.decodeIndex(lunr,{fields:['title'],boosts:[1],docs:[['x','x.html','',null,[],0,[],0]]},"
        "[{lengths:[1],terms:['x'],postings:[[0,1]]}]);"
        "try{core.search(lunr,idx,'title:');console.log('no error')}"
        "catch(e){console.log(e instanceof lunr.QueryParseError?'QueryParseError':e.name)}"
    )
    result = subprocess.run(
        ["node", "-e", script, str(ROOT / "node_modules" / "lunr"), str(ROOT / "templates" / "assets" / "search.js")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.stdout.strip() == "QueryParseError", result.stderr


def test_search_files_and_payload_of_the_sample(sample: Site):
    assets = sample.out / "assets"
    for name in ("lunr.min.js", "lunr.LICENSE.txt", "search.js", "search-store.js", "search-index-0.js"):
        assert (assets / name).is_file(), name
    store = json.loads(run_node_value(assets / "search-store.js", "sitegenSearchStore"))
    index = [assets / f"search-index-{n}.js" for n in range(store["indexFiles"])]
    texts = sorted(assets.glob("search-text-*.js"))
    assert sorted(assets.glob("search-*.js")) == sorted([assets / "search-store.js", *index, *texts])
    loaded = [assets / "lunr.min.js", assets / "search.js", assets / "search-store.js", *index]
    total = sum(len(gzip.compress(path.read_bytes())) for path in loaded)
    assert total < 200 * 1024
    # What a result shows before its snippet: title, page, date, upvotes, topics, has code, tags, text file, status.
    assert all(len(doc) == 9 for doc in store["docs"])
    assert {doc[7] for doc in store["docs"]} == set(range(len(texts)))
    text_of = {}
    for path in texts:
        text_of.update(json.loads(run_node_value(path, f"sitegenSearchText[{path.stem.rsplit('-', 1)[1]}]")))
    assert sorted(text_of) == sorted(doc[1] for doc in store["docs"])
    assert all(len(text) == 2 and text[0] for text in text_of.values())  # abstract, notes


@pytest.mark.parametrize(("papers", "files"), [(0, 1), (1, 1), (200, 1), (201, 2), (10_000, 64), (50_000, 256)])
def test_a_file_count_changes_only_when_the_list_doubles(papers: int, files: int):
    assert file_count(papers, TEXT_PAPERS_PER_FILE) == files


def test_adding_papers_rewrites_only_the_files_they_go_to(site: Site, monkeypatch: pytest.MonkeyPatch):
    """While the number of files stays the same, every other paper keeps its files, byte for byte; a note
    changes one text file and one index part, and not the store."""
    monkeypatch.setattr("sitegen.search.TEXT_PAPERS_PER_FILE", 4)  # 16 text files
    monkeypatch.setattr("sitegen.search.INDEX_PAPERS_PER_FILE", 8)  # 8 index parts
    abstract = "An abstract about sparse networks and how they are trained, long enough to count. " * 2
    site.write_config("title: Small\ntopics:\n  - title: All\n    dumps: [papers.txt]\n")

    def files_after_building(papers: int) -> dict[str, bytes]:
        site.dump("papers.txt", "".join(f"Paper number {n}\n\n{abstract}\n\n" for n in range(papers)))
        site.build()
        return {path.name: path.read_bytes() for path in (site.out / "assets").glob("search-*.js")}

    def changed(before: dict[str, bytes], after: dict[str, bytes], kind: str) -> int:
        assert before.keys() == after.keys()
        return sum(before[name] != after[name] for name in before if name.startswith(f"search-{kind}"))

    before, after = files_after_building(40), files_after_building(43)
    assert len([name for name in before if name.startswith("search-text-")]) == 16
    assert len([name for name in before if name.startswith("search-index-")]) == 8
    assert 0 < changed(before, after, "text-") <= 3
    assert 0 < changed(before, after, "index-") <= 3

    paper = site.paper_file("paper-number-7")
    paper.write_text(paper.read_text(encoding="utf-8") + "\nA note on okapis.\n", encoding="utf-8")
    noted = files_after_building(43)
    assert [changed(after, noted, kind) for kind in ("text-", "index-", "store")] == [1, 1, 0]


def run_node_value(script: Path, variable: str) -> str:
    """The JSON of `window.<variable>` after running a generated data file under Node."""
    code = f"global.window=global;require({json.dumps(str(script))});"
    code += f"process.stdout.write(JSON.stringify(window.{variable}))"
    result = subprocess.run(["node", "-e", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("query", ["BERT: Pre-training", "10:30", "Diffusion Models: A Survey", "the"])
def test_a_colon_or_a_common_word_in_a_plain_query_is_not_an_error(mixed: Site, query: str):
    (results,) = run_node({"action": "search", "site": str(mixed.out), "queries": [query]})
    assert isinstance(results, list)
