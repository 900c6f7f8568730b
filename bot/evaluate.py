"""How well the bot finds and states answers: questions with known answers, scored.

Two question formats feed one scorer. SQuAD-style folders (`passages.jsonl` +
`questions.jsonl`) are written out as one file per passage and indexed (scripts/eval.py);
question files of `{"question", "doc", "gold"}` lines ask about an index already built.
Either way a retrieved passage counts as a hit when it comes from the right file *and* holds
a gold string, so a passage split into chunks scores only the chunk that answers.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import UserError
from index.search.hybrid import Settings
from index.text.normalise import normalise

if TYPE_CHECKING:
    from bot.answer import Answer
    from index.search.searcher import Searcher

MRR_DEPTH = 10
PASSAGE_FILE = "{:05d}.md"


class BadQuestions(UserError):
    """A questions file that is missing or not in the expected JSON Lines format."""


@dataclass(frozen=True)
class Case:
    """One question and what counts as answering it.

    `doc` is the end of the answering file's path ("business/001.txt"); `gold` are strings
    the answer should contain (empty for a question the articles cannot answer).
    """

    question: str
    doc: str
    gold: tuple[str, ...]
    answerable: bool = True


@dataclass(frozen=True)
class Outcome:
    """How the bot did on one case; `rank` is the first hit among the sources (1-based).

    `best_dense` is the score the abstention rule looks at (the best cosine among the sources),
    kept so that other thresholds can be tried without asking again.
    """

    rank: int | None
    answer_hit: bool
    abstained: bool
    answerable: bool
    sentences: int
    best_dense: float = 0.0


@dataclass(frozen=True)
class Scores:
    """Fractions over the answerable cases, except `abstained`, which is over all of them."""

    questions: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    answer_hit: float
    abstained: float

    def as_json(self) -> dict[str, float | int]:
        """The `bot eval --json` object, exactly these keys."""
        return {
            "questions": self.questions,
            "hit@1": self.hit_at_1,
            "hit@5": self.hit_at_5,
            "mrr@10": self.mrr_at_10,
            "answer_hit": self.answer_hit,
            "abstained": self.abstained,
        }


def folded(text: str) -> str:
    """Compare text as the index stores it (normalised), ignoring case."""
    return " ".join(normalise(text).casefold().split())


def contains_gold(text: str, gold: Iterable[str]) -> bool:
    """Whether any gold string occurs in text, after normalising and case-folding both."""
    haystack = folded(text)
    return any(g.strip() and folded(g) in haystack for g in gold)


def path_matches(path: str, doc: str) -> bool:
    """`doc` names path's file: equal, or a suffix starting at a folder boundary."""
    path, doc = path.replace("\\", "/"), doc.replace("\\", "/").lstrip("/")
    return path == doc or path.endswith("/" + doc)


def first_rank(flags: Sequence[bool]) -> int | None:
    """1-based position of the first True, None when there is none."""
    return next((n for n, flag in enumerate(flags, start=1) if flag), None)


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose first hit is within the top k."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None], depth: int = MRR_DEPTH) -> float:
    """Mean reciprocal rank of the first hit, counting hits below depth as misses."""
    return sum(1 / r for r in ranks if r is not None and r <= depth) / len(ranks) if ranks else 0.0


def judge(case: Case, result: "Answer") -> Outcome:
    """Score one answer: where the first answering passage ranks, and whether the answer says it.

    A passage counts from the right article or from an identical copy of it (indexed once)."""
    flags = [
        any(path_matches(p, case.doc) for p in (s.path, *(c.path for c in s.also_in if c.identical)))
        and contains_gold(s.text, case.gold)
        for s in result.sources
    ]
    said = " ".join(sentence.text for sentence in result.answer)
    return Outcome(
        rank=first_rank(flags) if case.answerable else None,
        answer_hit=case.answerable and not result.abstained and contains_gold(said, case.gold),
        abstained=result.abstained,
        answerable=case.answerable,
        sentences=len(result.answer),
        best_dense=max((s.dense_score or 0.0 for s in result.sources), default=0.0),
    )


def summarise(outcomes: Sequence[Outcome]) -> Scores:
    """Retrieval and answer scores over the answerable outcomes; abstentions over all."""
    answerable = [o for o in outcomes if o.answerable]
    ranks = [o.rank for o in answerable]
    return Scores(
        questions=len(outcomes),
        hit_at_1=hit_at(ranks, 1),
        hit_at_5=hit_at(ranks, 5),
        mrr_at_10=mrr(ranks),
        answer_hit=_share(sum(o.answer_hit for o in answerable), len(answerable)),
        abstained=_share(sum(o.abstained for o in outcomes), len(outcomes)),
    )


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def abstain_rates(outcomes: Sequence[Outcome]) -> tuple[float, float]:
    """(abstained on unanswerable, abstained on answerable): the first should be high, the second low."""
    unanswerable = [o for o in outcomes if not o.answerable]
    answerable = [o for o in outcomes if o.answerable]
    return (
        _share(sum(o.abstained for o in unanswerable), len(unanswerable)),
        _share(sum(o.abstained for o in answerable), len(answerable)),
    )


def abstain_curve(outcomes: Sequence[Outcome], thresholds: Iterable[float]) -> list[tuple[float, float, float]]:
    """(threshold, abstained on unanswerable, abstained on answerable) had ABSTAIN_BELOW been each
    threshold: the trade-off to pick it from (meaningful for runs that use dense scores)."""
    curve = []
    for threshold in thresholds:
        moved = [replace(o, abstained=o.best_dense < threshold) for o in outcomes]
        curve.append((threshold, *abstain_rates(moved)))
    return curve


def evaluate(
    searcher: "Searcher",
    cases: Sequence[Case],
    k: int = MRR_DEPTH,
    settings: Settings | None = None,
) -> list[Outcome]:
    """Ask every case through the bot's own answer path and judge each answer."""
    from bot.answer import answer

    settings = settings or Settings()
    return [judge(case, answer(searcher, case.question, k, settings)) for case in cases]


def evaluate_file(questions: Path, index_dir: Path, k: int = MRR_DEPTH) -> Scores:
    """`bot eval`: a questions file scored against the index in index_dir, as `bot ask` answers."""
    from index.search.searcher import Searcher

    cases = load_cases(questions)
    searcher = Searcher.open(index_dir)
    try:
        return summarise(evaluate(searcher, cases, k))
    finally:
        searcher.close()


def read_jsonl(path: Path) -> list[dict]:
    """Objects of a JSON Lines file; a bad line is reported with its number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BadQuestions(f"No such file: {path}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise BadQuestions(f"{path}:{number} is not valid JSON.") from None
        if not isinstance(row, dict):
            raise BadQuestions(f"{path}:{number} should be a JSON object.")
        rows.append(row)
    return rows


def load_cases(path: Path) -> list[Case]:
    """Questions about indexed articles: lines of {"question", "doc", "gold": [strings]}; a line
    with "gold": [] (and no doc) is a question the articles cannot answer, which should abstain."""
    cases = []
    for number, row in enumerate(read_jsonl(path), start=1):
        question, doc, gold = row.get("question"), row.get("doc"), row.get("gold")
        if not (isinstance(question, str) and question.strip()):
            raise BadQuestions(f'{path}: question {number} needs a "question".')
        if gold == []:
            cases.append(Case(question, "", (), answerable=False))
            continue
        if not (isinstance(doc, str) and doc):
            raise BadQuestions(f'{path}: question {number} needs a "doc" (or "gold": [] for one nothing answers).')
        if not (isinstance(gold, list) and gold and all(isinstance(g, str) and g.strip() for g in gold)):
            raise BadQuestions(f'{path}: question {number} needs "gold": a list of answer strings.')
        cases.append(Case(question, doc, tuple(gold)))
    if not cases:
        raise BadQuestions(f"{path} holds no questions.")
    return cases


def load_squad(folder: Path, limit: int | None = None) -> tuple[list[dict], list[Case]]:
    """Passages ({id, title, text}) and cases of a SQuAD-style folder, each case's `doc` being its
    passage's file as write_passages names it. With limit, that many questions spread evenly over
    the set, and only the passages they were written against."""
    questions = read_jsonl(folder / "questions.jsonl")
    if limit and limit < len(questions):
        questions = [questions[i * len(questions) // limit] for i in range(limit)]
    wanted = {q["passage_id"] for q in questions} if limit else None
    passages = [p for p in read_jsonl(folder / "passages.jsonl") if wanted is None or p["id"] in wanted]
    files = {p["id"]: PASSAGE_FILE.format(n) for n, p in enumerate(passages)}
    cases = [
        Case(
            q["question"],
            files[q["passage_id"]],
            tuple(q["answers"]),
            not q.get("is_impossible", False),
        )
        for q in questions
    ]
    return passages, cases


def write_passages(passages: list[dict], folder: Path, titled: bool = True) -> None:
    """One file per passage, to index like articles. A Markdown heading, because the indexer
    takes a plain one-word line ("Normans") for body text; untitled, the indexer falls back to
    the file number as the title."""
    folder.mkdir(parents=True)
    for n, passage in enumerate(passages):
        body = f"# {passage['title']}\n\n{passage['text']}" if titled else passage["text"]
        (folder / PASSAGE_FILE.format(n)).write_text(body, encoding="utf-8")


def table(rows: dict[str, Scores], extra: dict[str, dict[str, str]] | None = None) -> str:
    """A markdown table, one row per named run; `extra` adds columns (run -> column -> cell)."""
    extra = extra or {}
    columns = list(dict.fromkeys(c for cells in extra.values() for c in cells))
    lines = [
        "| run | questions | hit@1 | hit@5 | MRR@10 | answer_hit | abstained |" + "".join(f" {c} |" for c in columns),
        "|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(columns),
    ]
    for name, s in rows.items():
        cells = extra.get(name, {})
        lines.append(
            f"| {name} | {s.questions} | {s.hit_at_1:.3f} | {s.hit_at_5:.3f} | {s.mrr_at_10:.3f} "
            f"| {s.answer_hit:.3f} | {s.abstained:.3f} |" + "".join(f" {cells.get(c, '')} |" for c in columns)
        )
    return "\n".join(lines)
