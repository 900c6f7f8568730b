"""BM25 segments: a streamed merge writes exactly what one writer of the live documents would."""

from collections import Counter
from pathlib import Path

import pytest

from index.scoring import bm25, bm25_writing
from index.scoring.bm25 import ARRAYS, Segment
from index.scoring.bm25_writing import SegmentWriter


def documents(seed: int, count: int, first_id: int) -> list[tuple[int, Counter[int]]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    found = []
    for n in range(count):
        # term hashes over the whole int64 range, and a few very common terms
        terms = rng.integers(-(2**62), 2**62, size=int(rng.integers(1, 12))).tolist() + [7, 11][: n % 3]
        found.append((first_id + n, Counter({int(t): int(rng.integers(1, 5)) for t in terms})))
    return found


def written(directory: Path, docs: list[tuple[int, Counter[int]]]) -> Segment:
    writer = SegmentWriter()
    for chunk_id, counts in docs:
        writer.add(chunk_id, counts)
    writer.write(directory)
    return Segment.open(directory)


@pytest.mark.parametrize("block", [3, 1_000_000])
def test_a_merge_of_live_documents_equals_writing_them_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    import numpy as np

    monkeypatch.setattr(bm25_writing, "MERGE_BLOCK", block)
    first, second = documents(1, 40, 100), documents(2, 25, 500)
    parts = [written(tmp_path / "a", first), written(tmp_path / "b", second)]
    dead = {103, 117, 500, 524}
    masks = [np.isin(np.asarray(p.chunk_ids), list(dead), invert=True) for p in parts]
    ids = bm25_writing.merge(list(zip(parts, masks)), tmp_path / "merged")
    expected = written(tmp_path / "expected", [d for d in first + second if d[0] not in dead])
    merged = Segment.open(tmp_path / "merged")
    assert ids.tolist() == [d[0] for d in first + second if d[0] not in dead]
    for name in ARRAYS:
        got, want = np.asarray(getattr(merged, name)), np.asarray(getattr(expected, name))
        assert got.dtype == want.dtype and got.tolist() == want.tolist(), name


def test_a_merge_of_nothing_live_is_an_empty_segment(tmp_path: Path) -> None:
    import numpy as np

    part = written(tmp_path / "a", documents(3, 5, 1))
    ids = bm25_writing.merge([(part, np.zeros(5, dtype=bool))], tmp_path / "merged")
    merged = Segment.open(tmp_path / "merged")
    assert len(ids) == 0 and len(merged.terms) == 0 and merged.offsets.tolist() == [0]


def test_a_passage_tokenised_a_sentence_at_a_time_has_the_terms_bm25_indexed() -> None:
    from index.scoring.tokenise import STOPWORDS, tokenize
    from index.search.candidates import _terms
    from index.text.split import embed_text

    title = "Markets rally"
    text = "Shares rose 5% on Monday.  Then they fell! (Analysts were surprised, said Ms Lee.)"
    sentences = ["Shares rose 5% on Monday.", "Then they fell!", "Analysts were surprised, said Ms Lee."]
    spans = [(text.index(s), text.index(s) + len(s)) for s in sentences]  # the "(" and ")" lie between
    terms, per_sentence = _terms(tokenize(title), text, spans, STOPWORDS)
    assert terms == Counter(tokenize(embed_text(title, text)))
    assert per_sentence == [set(tokenize(s)) for s in sentences]


@pytest.mark.parametrize("floor", [1, 2_000])
def test_search_finds_the_k_best_live_documents_of_every_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, floor: int
) -> None:
    """Against BM25 worked out document by document: the floor drawn from the rarest terms'
    documents never loses one of the k best, with deleted and filtered-out chunks skipped."""
    import math

    import numpy as np

    monkeypatch.setattr(bm25, "FLOOR_POSTINGS", floor)
    first, second = documents(4, 300, 1), documents(5, 120, 1000)
    parts = [written(tmp_path / "a", first), written(tmp_path / "b", second)]
    dead_ids = {3, 8, 1005}
    dead = [np.flatnonzero(np.isin(np.asarray(p.chunk_ids), list(dead_ids))) for p in parts]
    index = bm25.Bm25(parts, dead)
    everything = first + second
    average = sum(sum(c.values()) for _, c in everything) / len(everything)
    allowed = np.asarray([i for i, _ in everything if i % 3], dtype=np.int64)
    query = [7, 11, *list(first[5][1])[:2], *list(second[9][1])[:1]]
    for only in (None, allowed):
        expected = []
        for chunk_id, counts in everything:
            if chunk_id in dead_ids or (only is not None and chunk_id not in set(only.tolist())):
                continue
            length = sum(counts.values())
            score = 0.0
            for term in set(query):
                tf = counts.get(term, 0)
                if tf:
                    df = sum(term in c for _, c in everything)
                    idf = math.log(1 + (len(everything) - df + 0.5) / (df + 0.5))
                    score += idf * tf / (tf + bm25.K1 * (1 - bm25.B + bm25.B * length / average))
            if score:
                expected.append((chunk_id, score))
        expected.sort(key=lambda pair: (-pair[1], pair[0]))
        found = index.search(query, 10, only)
        assert [i for i, _ in found] == [i for i, _ in expected[:10]]
        assert [s for _, s in found] == pytest.approx([s for _, s in expected[:10]], rel=1e-5)
