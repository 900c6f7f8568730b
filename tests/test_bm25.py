"""BM25 segments: a streamed merge writes exactly what one writer of the live documents would."""

from collections import Counter
from pathlib import Path

import pytest

from index.scoring import bm25
from index.scoring.bm25 import ARRAYS, Segment, SegmentWriter


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

    monkeypatch.setattr(bm25, "MERGE_BLOCK", block)
    first, second = documents(1, 40, 100), documents(2, 25, 500)
    parts = [written(tmp_path / "a", first), written(tmp_path / "b", second)]
    dead = {103, 117, 500, 524}
    masks = [np.isin(np.asarray(p.chunk_ids), list(dead), invert=True) for p in parts]
    ids = bm25.merge(list(zip(parts, masks)), tmp_path / "merged")
    expected = written(tmp_path / "expected", [d for d in first + second if d[0] not in dead])
    merged = Segment.open(tmp_path / "merged")
    assert ids.tolist() == [d[0] for d in first + second if d[0] not in dead]
    for name in ARRAYS:
        got, want = np.asarray(getattr(merged, name)), np.asarray(getattr(expected, name))
        assert got.dtype == want.dtype and got.tolist() == want.tolist(), name


def test_a_merge_of_nothing_live_is_an_empty_segment(tmp_path: Path) -> None:
    import numpy as np

    part = written(tmp_path / "a", documents(3, 5, 1))
    ids = bm25.merge([(part, np.zeros(5, dtype=bool))], tmp_path / "merged")
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
