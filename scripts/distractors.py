"""Distractor articles for scripts/scale.py: real news text varied, with real vectors moved a little.

The index holds the real BBC corpus (its real vectors, from scripts/eval.py's vector cache) plus
distractor articles up to N passages. Distractors are real news text varied so that articles
don't collapse as copies: each distractor article strings together 4-7 passages drawn from
different BBC and web-page articles, and in each passage capitalised words after the first of a
sentence are replaced, with probability one half, by names from scripts/synthetic_news.py, and
every number by another of as many digits. Articles that any BBC question is about are left out
of the pool, with their identical copies, the other versions of their stories and their
near-copies, so distractors never carry the answers.

Embedding a million passages with the real model would take hours here, so distractor vectors
are the real vectors of the passage each was varied from (computed once by the real model, as the
BBC evaluation index stores them), moved by Gaussian noise of norm NOISE and renormalised
(cosine about 0.96 to the original: about what renaming a person in a passage does), and the same
for its sentences' vectors. ScaleEncoder counts the encoder inputs it could not trace to their
source passage (they get a noisy copy of a random pool vector); scale.py prints that count.
"""

import hashlib
import json
import random
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eval import DATA
from synthetic_news import FIRST, LAST

if TYPE_CHECKING:
    import numpy as np

NOISE = 0.3
SUFFIX = 60  # characters of a passage's end that trace an encoder input back to its source
PER_FOLDER = 1000


def question_docs() -> set[str]:
    """Every BBC article some question set asks about."""
    files = [DATA / "bbc" / "tune.jsonl", DATA / "bbc" / "test.jsonl", DATA / "bbc_questions.jsonl"]
    files += [DATA / "speech" / "tune.jsonl"]
    return {json.loads(line)["doc"] for f in files for line in f.read_text().splitlines() if line.strip()}


def pool_rows(store_index: Path, excluded: set[str]) -> list[tuple[str, bytes, bytes, bytes]]:
    """(passage text, packed vector (store.codec), spans, sentence vectors) of every passage of an index's
    articles outside `excluded` and their copies: an article indexed as an identical copy of
    another has no passages of its own (the other holds them), and versions of a story or
    near-copies repeat its sentences; left in the pool, they put the questions' answers into
    the distractors (9 of the 207 question articles are identical copies)."""
    from index.store import codec, layout

    connection = sqlite3.connect(f"file:{layout.current(store_index) / layout.DATABASE}?mode=ro", uri=True)
    articles = connection.execute("SELECT id, display, story, cluster, duplicate_of FROM articles").fetchall()
    asked = {i for i, display, *_ in articles if any(display.endswith(d) for d in excluded)}
    asked |= {copy_of for i, _, _, _, copy_of in articles if i in asked and copy_of is not None}
    stories = {story for i, _, story, _, _ in articles if i in asked}
    clusters = {cluster for i, _, _, cluster, _ in articles if i in asked}
    left_out = {
        i
        for i, _, story, cluster, copy_of in articles
        if i in asked or story in stories or cluster in clusters or copy_of in asked
    }
    rows = connection.execute(
        "SELECT c.article, c.text, v.passage, v.spans, v.sentences FROM chunks c JOIN vectors v ON v.id = c.vector"
    ).fetchall()
    connection.close()
    return [(codec.unpack_text(text), p, s, v) for article, text, p, s, v in rows if article not in left_out]


def varied(text: str, rng: random.Random) -> str:
    """Real text, other names and numbers: the same kind of news, not a copy."""

    def name(match: re.Match[str]) -> str:
        return rng.choice(LAST if rng.random() < 0.7 else FIRST) if rng.random() < 0.5 else match.group(0)

    def number(match: re.Match[str]) -> str:
        digits = len(match.group(0))
        return str(rng.randrange(10 ** (digits - 1) if digits > 1 else 0, 10**digits))

    text = re.sub(r"(?<=[a-z,;] )[A-Z][a-z]{2,}", name, text)
    return re.sub(r"\d+", number, text)


def trace_key(body: str) -> str:
    return hashlib.blake2b(" ".join(body.split())[-SUFFIX:].encode(), digest_size=8).hexdigest()


def write_distractors(folder: Path, passages: int, pool: list[tuple], seed: int = 7) -> dict[str, int]:
    """Distractor articles holding about `passages` passages; returns trace key -> pool row."""
    rng = random.Random(seed)
    traced: dict[str, int] = {}
    written = article = 0
    while written < passages:
        rows = [rng.randrange(len(pool)) for _ in range(rng.randint(4, 7))]
        bodies = [varied(pool[r][0], rng) for r in rows]
        for row, body in zip(rows, bodies):
            traced[trace_key(body)] = row
        headline = " ".join(varied(pool[rows[0]][0], rng).split()[:9]).rstrip(".,;:")
        path = folder / f"{article // PER_FOLDER:04d}" / f"{article:07d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(headline + "\n\n" + "\n\n".join(bodies) + "\n", encoding="utf-8")
        written += len(bodies)
        article += 1
    return traced


class ScaleEncoder:
    """Real vectors for text the real model embedded before (the BBC corpus), and for distractors
    the noisy real vectors of the passage each was varied from."""

    def __init__(self, real, pool: list[tuple], traced: dict[str, int]) -> None:
        import numpy as np

        from index.store import codec

        self.real = real
        self.name, self.dim, self.max_tokens = real.name, real.dim, real.max_tokens
        self.pool, self.traced = pool, traced
        self.codec = codec
        self.rng = np.random.default_rng(11)
        self.untraced = 0

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return self.real.embed(texts)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):
        import numpy as np
        from eval import _key

        known = [i for i, t in enumerate(texts) if _key(t) in self.real.known]
        real_passages, real_sentences = self.real.embed_passages([texts[i] for i in known], [spans[i] for i in known])
        by_text: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
        offset = 0
        for row, i in enumerate(known):
            by_text[i] = (real_passages[row], list(real_sentences[offset : offset + len(spans[i])]))
            offset += len(spans[i])
        passages, sentences = [], []
        for i, (text, text_spans) in enumerate(zip(texts, spans)):
            if i not in by_text:
                by_text[i] = self._traced(text, len(text_spans))
            passages.append(by_text[i][0])
            sentences += by_text[i][1]
        return np.stack(passages), np.asarray(sentences, dtype=np.float32).reshape(-1, self.dim)

    def _traced(self, text: str, spans: int) -> "tuple[np.ndarray, list[np.ndarray]]":
        """The noisy real vectors of the passage this text was varied from."""
        row = self.traced.get(trace_key(text))
        if row is None:
            self.untraced += 1
            row = int(self.rng.integers(len(self.pool)))
        _, packed, _, packed_sentences = self.pool[row]
        passage = self.codec.unpack_passages([packed], self.dim)[0]
        source = self.codec.unpack_sentences([packed_sentences], self.dim)[0]
        same = len(source) == spans
        return self._moved(passage), [self._moved(source[n] if same else passage) for n in range(spans)]

    def _moved(self, vector: "np.ndarray") -> "np.ndarray":
        import numpy as np

        noise = self.rng.standard_normal(self.dim).astype(np.float32)
        moved = vector.astype(np.float32) + NOISE * noise / np.linalg.norm(noise)
        return moved / np.linalg.norm(moved)
