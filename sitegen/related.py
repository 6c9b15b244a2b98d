"""Related papers: for each paper, the few others nearest to it by TF-IDF cosine over title, abstract and notes.

No step compares every paper with every other one. Each paper keeps only its TERMS
strongest terms (of its vector of unit length), and the papers that share a term are
drawn into bands of about POSTINGS (by their text, not their place in the list); the
dot product of these cut vectors is computed, as a sparse product, only for papers
that share a term in a band: about TERMS × POSTINGS pairs per paper at most, however
long the list. No paper loses a term, and a term's bands split in two only when its
papers double, so a new paper changes few other papers' lists.

Words are cached per text, so a rebuild reads again only the papers whose title,
abstract or notes changed; the rest is a pure function of the papers in the order
given, with terms in alphabetical order, so an incremental build computes exactly
what a cold build does, ties included.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
import scipy.sparse

from .cache import Cache

RELATED = 5
TERMS = 10  # a paper's strongest terms, the only ones its candidates are found and scored by
POSTINGS = 40  # about how many papers a term pairs a paper with at most: its band
BLOCK = 2000  # papers scored at a time: the memory it takes does not grow with the list
WORD = re.compile(r"[^\W\d_][^\W_]{2,}")  # three or more letters and digits, starting with a letter
COMMON_WORDS = """
    about above across after again against also among and any are based because been before being below between
    both but can could did does doing done down during each either even every for from further had has have having
    here how however into its itself just many may might more most much must new not now off once only onto other
    our out over own paper per propose proposed same several should show shown shows since some such than that the
    their them then there these they this those through thus too under until upon use used uses using very via was
    well were what when where whether which while who whom whose why will with within without would yet
"""
STOP_WORDS = frozenset(COMMON_WORDS.split())


Text = tuple[str, str, str]  # a paper's title, abstract and notes


def related_papers(papers: Sequence[Text], cache: Cache) -> list[list[int]]:
    """For each paper, the positions of its RELATED most related papers, most related first."""
    found: list[list[int]] = [[] for _ in papers]
    if len(papers) < 2:
        return found
    for rows, columns, values in _scores(_weights(papers, cache)):
        order, rank = _ranked(rows, values)
        best = order[rank < RELATED]
        for row, column in zip(rows[best].tolist(), columns[best].tolist(), strict=True):
            found[row].append(column)
    return found


def _weights(papers: Sequence[Text], cache: Cache) -> scipy.sparse.csr_array:
    """Papers × bands of terms: each paper's cut vector."""
    terms, counts, lengths, size, draws = _words(papers, cache)
    return _cut(_tf_idf(terms, counts, lengths, size), draws)


def _scores(weights: scipy.sparse.csr_array) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The scored pairs of papers (each paper with another), BLOCK papers at a time: theirs, the other's, the score."""
    transposed = weights.T.tocsr()
    for start in range(0, weights.shape[0], BLOCK):
        scores = weights[start:start + BLOCK] @ transposed
        rows = np.repeat(np.arange(start, start + scores.shape[0]), np.diff(scores.indptr))
        others = rows != scores.indices
        yield rows[others], scores.indices[others], scores.data[others]


def _words(papers: Sequence[Text], cache: Cache) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
    """Each paper's distinct terms and their counts, concatenated in order; each paper's number of terms.

    Also returns the number of terms in use, and a number drawn from each paper's text.
    Terms are numbered in alphabetical order of the terms in use, so that these arrays
    are the same whatever the cache held. The cache keeps the terms seen, numbered as
    first seen (afresh when most are no longer used), and the last build's arrays in
    those numbers with where each text's part is.
    """
    # The terms seen, where each text's part is (by the text's digest), and the arrays of the parts.
    cached: tuple[list[str], dict[bytes, tuple[int, int]], np.ndarray, np.ndarray] | None = cache.get("words")
    vocabulary, known, cached_terms, cached_counts = cached or ([], {}, np.zeros(0, np.int32), np.zeros(0, np.int32))
    numbers = None  # made when a text is new
    parts, where, start, digests = [], {}, 0, []
    for title, abstract, notes in papers:
        text = f"{title}\n{title}\n{abstract}\n{notes}"  # the title counts twice
        digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()
        digests.append(digest[:4])
        if digest in known:
            begin, end = known[digest]
            part = cached_terms[begin:end], cached_counts[begin:end]
        else:
            if numbers is None:
                numbers = {term: number for number, term in enumerate(vocabulary)}
            part = _count_terms(text, numbers)
        parts.append(part)
        where[digest] = (start, start + len(part[0]))
        start += len(part[0])
    if numbers is not None and len(numbers) > len(vocabulary):
        vocabulary = list(numbers)  # in the order first seen
    terms = np.concatenate([part[0] for part in parts])
    counts = np.concatenate([part[1] for part in parts])
    used = np.unique(terms)
    if len(vocabulary) > 2 * len(used) + 1000:  # mostly words of texts gone: number the others afresh
        renumbered = np.zeros(len(vocabulary), np.int32)
        renumbered[used] = np.arange(len(used))
        vocabulary, terms, used = [vocabulary[number] for number in used.tolist()], renumbered[terms], renumbered[used]
    if where == known and cached:
        cache.put("words", cached)  # the very object read: the cache is not written again
    else:
        cache.put("words", (vocabulary, where, terms, counts))
    in_use = [number for number in used.tolist() if vocabulary[number] not in STOP_WORDS]
    in_use.sort(key=vocabulary.__getitem__)
    alphabetical = np.full(len(vocabulary), -1, np.int32)
    alphabetical[in_use] = np.arange(len(in_use))
    terms = alphabetical[terms]
    kept = terms >= 0  # stop words are counted like the others, and left out here all at once
    paper = np.repeat(np.arange(len(parts)), [len(part[0]) for part in parts])
    draws = np.frombuffer(b"".join(digests), ">u4").astype(np.int64)
    return terms[kept], counts[kept], np.bincount(paper[kept], minlength=len(parts)), len(in_use), draws


def _count_terms(text: str, numbers: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The text's distinct words (numbered in `numbers`, which gives new words the next numbers) and their counts."""
    counted = Counter(WORD.findall(text.casefold()))
    return (np.array([numbers.setdefault(word, len(numbers)) for word in counted], np.int32),
            np.array(list(counted.values()), np.int32))


def _tf_idf(terms: np.ndarray, counts: np.ndarray, lengths: np.ndarray, size: int) -> scipy.sparse.csr_array:
    """Papers × terms: (1 + log count) × smoothed IDF, each row of unit length."""
    papers = len(lengths)
    matrix = scipy.sparse.csr_array(
        (counts.astype(np.float64), terms, np.concatenate([[0], np.cumsum(lengths)])), shape=(papers, size)
    )
    papers_with = np.bincount(matrix.indices, minlength=size)
    matrix.data = (1 + np.log(matrix.data)) * (np.log((1 + papers) / (1 + papers_with)) + 1)[matrix.indices]
    rows = np.repeat(np.arange(papers), np.diff(matrix.indptr))
    matrix.data /= np.sqrt(np.bincount(rows, matrix.data**2, minlength=papers))[rows]
    return matrix


def _cut(matrix: scipy.sparse.csr_array, draws: np.ndarray) -> scipy.sparse.csr_array:
    """Each row's TERMS largest weights of terms other rows have too, each term's rows drawn into bands.

    The result's columns are the bands: a term shared by more than POSTINGS rows has a
    power of two of them, and a row falls in the one its draw gives. A band left with
    one row goes: it would match no other.
    """
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    shared = np.bincount(matrix.indices, minlength=matrix.shape[1])[matrix.indices] > 1
    rows, columns, values = rows[shared], matrix.indices[shared], matrix.data[shared]
    order, rank = _ranked(rows, values)
    keep = order[rank < TERMS]
    rows, columns, values = rows[keep], columns[keep], values[keep]
    papers_with = np.bincount(columns, minlength=matrix.shape[1])
    bands_of = 2 ** np.ceil(np.log2(np.maximum(papers_with / POSTINGS, 1))).astype(np.int64)
    bands = columns.astype(np.int64) * int(bands_of.max(initial=1)) + draws[rows] % bands_of[columns]
    bands = np.unique(bands, return_inverse=True)[1].reshape(-1)
    keep = np.bincount(bands)[bands] > 1
    rows, bands, values = rows[keep], bands[keep], values[keep]
    return scipy.sparse.csr_array((values, (rows, bands)), shape=(matrix.shape[0], int(bands.max(initial=-1)) + 1))


def _ranked(groups: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions by group, largest value (all in [0, 1]) first; and the rank of each in its group (0: largest).

    Equal values keep their order in the arrays (a quicker, unstable sort would let an
    edit of one paper reorder ties all over the site). One stable sort of a single key
    is several times faster than sorting by group, then value, then position.
    """
    order = np.argsort(groups * 2.0 - values, kind="stable")
    sorted_groups = groups[order]
    first = np.searchsorted(sorted_groups, np.arange(sorted_groups[-1] + 1 if len(order) else 0))
    return order, np.arange(len(order)) - first[sorted_groups]
