"""The whole quality table in one run: every question set, asked through the bot's own answer path.

    python scripts/eval.py                      # test halves: BBC, seeds, web pages, off-topic, SQuAD
    python scripts/eval.py --half tune          # the tuning halves (what may be looked at while tuning)
    python scripts/eval.py --sets bbc,offtopic --ablate ranker,answer_types
    python scripts/eval.py --out results.json --questions-out per_question.jsonl

Sets (tests/data/README.md says how each was written and split):
- bbc: reader questions on the BBC corpus, asked of an index of the whole corpus;
- seeds: questions on the two seed articles, asked of an index of seeds/ (top 3 counts as top 5);
- web: questions on the 30 saved pages of ../shared/corpora/web, indexed as HTML;
- offtopic: questions the BBC corpus cannot answer, asked of the BBC index (should abstain);
- squad: SQuAD v1.1 dev, its articles split by title (one half trains the ranker, this run asks
  the other), asked of an index of every dev passage (written one per .md file).

Indexes are kept under $BOT_CACHE_DIR/eval/indexes and brought up to date incrementally (with
--rebuild, made again); passage vectors are cached by text, so a rebuild embeds nothing it has
seen. `--ablate` turns components off for the run (names in bot.answer.COMPONENTS), so one run
gives the table with and without them.
"""

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot import evaluate as ev  # noqa: E402
from bot.answer import COMPONENTS, answer  # noqa: E402

if TYPE_CHECKING:
    import numpy as np

    from index.embed.encoder import Encoder
    from index.embed.model import ModelInfo
    from index.search.searcher import Searcher

SHARED = REPO.parent / "shared"
DATA = REPO / "tests" / "data"
SETS = ("bbc", "seeds", "web", "offtopic", "squad")
CORPORA = {"bbc": SHARED / "corpora" / "bbc", "seeds": REPO / "seeds", "web": SHARED / "corpora" / "web" / "pages"}
SQUAD = SHARED / "eval" / "squad_v1.1_dev"
SQUAD_QUESTIONS = 1500  # of the test half's questions, spread evenly (the whole half takes an hour)


class CachedEncoder:
    """An encoder whose vectors are kept on disk by text hash, so rebuilds embed nothing twice."""

    def __init__(self, encoder: "Encoder", folder: Path) -> None:
        import numpy as np

        self.encoder = encoder
        self.name, self.dim, self.max_tokens = encoder.name, encoder.dim, encoder.max_tokens
        self.folder = folder
        self.known: dict[str, np.ndarray] = {}
        self.fresh: list[str] = []
        for keys_file in sorted(folder.glob("*.keys.npy")):
            try:  # a shard from a run killed while writing is skipped, not fatal
                keys = np.load(keys_file, allow_pickle=False)
                vectors = np.load(str(keys_file).replace(".keys.", ".vectors."), allow_pickle=False)
            except (OSError, ValueError):
                continue
            if vectors.shape == (len(keys), self.dim):
                self.known.update(zip(keys.tolist(), vectors))

    def count_tokens(self, text: str) -> int:
        return self.encoder.count_tokens(text)

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        keys = [_key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in self.known}
        if missing:
            self._remember(list(missing), self.encoder.embed(list(missing.values())))
        return self._stack(keys)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):
        span_keys = [[_key(f"{t}\0{s}:{e}") for s, e in text_spans] for t, text_spans in zip(texts, spans)]
        missing = [i for i, t in enumerate(texts) if any(k not in self.known for k in [_key(t), *span_keys[i]])]
        if missing:
            vectors, span_vectors = self.encoder.embed_passages(
                [texts[i] for i in missing], [spans[i] for i in missing]
            )
            self._remember([_key(texts[i]) for i in missing], vectors)
            self._remember([k for i in missing for k in span_keys[i]], span_vectors)
        return self._stack([_key(t) for t in texts]), self._stack([k for ks in span_keys for k in ks])

    def _remember(self, keys: list[str], vectors: "np.ndarray") -> None:
        self.fresh += [k for k in dict.fromkeys(keys) if k not in self.known]
        self.known.update(zip(keys, vectors))

    def _stack(self, keys: list[str]) -> "np.ndarray":
        import numpy as np

        return np.asarray([self.known[k] for k in keys], dtype=np.float32).reshape(len(keys), self.dim)

    def save(self) -> None:
        """Add this run's new vectors as one shard; the keys file, written last, completes it."""
        import numpy as np

        if not self.fresh:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = self.folder / f"{time.time_ns()}-{os.getpid()}"
        for suffix, array in (
            ("vectors", np.stack([self.known[k] for k in self.fresh])),
            ("keys", np.asarray(self.fresh, dtype="U32")),
        ):
            partial = Path(f"{stem}.{suffix}.partial")
            with open(partial, "wb") as handle:
                np.save(handle, array, allow_pickle=False)
            os.replace(partial, f"{stem}.{suffix}.npy")
        self.fresh = []


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def cached_encoder(model: "ModelInfo") -> CachedEncoder:
    from index.embed.load import load_encoder
    from index.locations import cache_dir

    return CachedEncoder(load_encoder(model), cache_dir() / "eval" / "vectors" / f"{model.name}-{model.fingerprint}")


def index_of(
    name: str, corpus: Path, model: "ModelInfo", encoder: CachedEncoder, rebuild: bool, excludes: Sequence[str] = ()
) -> "Searcher":
    """The evaluation index of a corpus, brought up to date (or rebuilt) and opened."""
    from index.errors import OldIndexFormat
    from index.indexer.update import update
    from index.locations import cache_dir
    from index.search.searcher import Searcher

    directory = cache_dir() / "eval" / "indexes" / f"{name}-{model.name}"
    try:
        report = update(directory, [corpus], model, lambda: encoder, rebuild=rebuild, excludes=excludes)  # type: ignore[arg-type, return-value]
    except OldIndexFormat:  # a cached index from before a store change: made again from cached vectors
        report = update(directory, [corpus], model, lambda: encoder, rebuild=True, excludes=excludes)  # type: ignore[arg-type, return-value]
    encoder.save()
    log(
        f"{name}: {report.documents} articles, {report.chunks_total} passages, "
        f"{report.chunks_embedded} embedded ({report.seconds:.0f} s)"
    )
    return Searcher.open(directory, encoder=encoder)  # type: ignore[arg-type]


def half_of(title: str) -> str:
    """SQuAD's split: whole articles (titles) go to one half."""
    return "tune" if hashlib.blake2b(title.encode(), digest_size=8).digest()[0] % 2 == 0 else "test"


def squad_cases(folder: Path, half: str, limit: int | None) -> tuple[list[dict], list[ev.Case]]:
    passages, cases = ev.load_squad(folder)
    titles = {ev.PASSAGE_FILE.format(n): p["title"] for n, p in enumerate(passages)}
    chosen = [c for c in cases if half_of(titles[c.doc]) == half]
    if limit and limit < len(chosen):
        chosen = [chosen[i * len(chosen) // limit] for i in range(limit)]
    return passages, chosen


def set_cases(name: str, half: str) -> list[ev.Case]:
    return ev.load_cases(DATA / name / f"{half}.jsonl")


@dataclasses.dataclass
class Run:
    """One set's outcomes, and the time each question took."""

    name: str
    outcomes: list[ev.Outcome]
    seconds: list[float]
    cases: list[ev.Case]
    answers: list[Any]


def ask_all(name: str, searcher: "Searcher", cases: list[ev.Case], disabled: frozenset[str]) -> Run:
    outcomes, seconds, answers = [], [], []
    for case in cases:
        began = time.perf_counter()
        result = answer(searcher, case.question, 10, disabled=disabled)
        seconds.append(time.perf_counter() - began)
        outcomes.append(ev.judge(case, result))
        answers.append(result)
    return Run(name, outcomes, seconds, cases, answers)


def row(run: Run) -> dict[str, Any]:
    answerable = [o for o in run.outcomes if o.answerable]
    ranks = [o.rank for o in answerable]
    top = 3 if run.name == "seeds" else 5
    out: dict[str, Any] = {"questions": len(run.outcomes)}
    if answerable:
        out |= {
            "first_passage": ev.hit_at(ranks, 1),
            f"top_{top}": ev.hit_at(ranks, top),
            "answer_sentences": sum(o.answer_hit for o in answerable) / len(answerable),
            "answered": sum(not o.abstained for o in answerable) / len(answerable),
        }
    else:
        out["refused"] = sum(o.abstained for o in run.outcomes) / len(run.outcomes)
    out["p50_ms"] = 1000 * statistics.median(run.seconds)
    return out


def markdown(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One line per (variant, set)."""
    columns = ["questions", "first_passage", "top_5", "top_3", "answer_sentences", "answered", "refused", "p50_ms"]
    lines = ["| variant | set | " + " | ".join(columns) + " |", "|---|---|" + "---:|" * len(columns)]
    for variant, sets in table.items():
        for name, cells in sets.items():
            values = []
            for column in columns:
                value = cells.get(column)
                values.append(
                    ""
                    if value is None
                    else f"{value:.3f}"
                    if isinstance(value, float) and column != "p50_ms"
                    else f"{value:.0f}"
                    if isinstance(value, float)
                    else str(value)
                )
            lines.append(f"| {variant} | {name} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated, from: " + ", ".join(SETS))
    parser.add_argument("--half", choices=["test", "tune"], default="test")
    parser.add_argument(
        "--ablate",
        default="",
        help="comma-separated components to turn off, one variant each: " + ", ".join(COMPONENTS),
    )
    parser.add_argument("--squad-questions", type=int, default=SQUAD_QUESTIONS)
    parser.add_argument(
        "--squad", type=Path, default=SQUAD, help="a SQuAD-style folder (passages.jsonl, questions.jsonl)"
    )
    parser.add_argument("--model", help="a local sentence-transformers model folder (default: the bundled one)")
    parser.add_argument("--rebuild", action="store_true", help="make the evaluation indexes again")
    parser.add_argument("--out", type=Path, help="write the table as JSON here")
    parser.add_argument("--questions-out", type=Path, help="write every question's outcome as JSON Lines here")
    options = parser.parse_args()
    options.sets = [s.strip() for s in options.sets.split(",") if s.strip()]
    options.ablate = [a.strip() for a in options.ablate.split(",") if a.strip()]
    for name in options.sets:
        if name not in SETS:
            parser.error(f"unknown set {name}")
    for name in options.ablate:
        if name not in COMPONENTS:
            parser.error(f"unknown component {name}; choose from {', '.join(COMPONENTS)}")
    return options


def main() -> None:
    from index.embed.model import model_info

    options = arguments()
    model = model_info(options.model)
    encoder = cached_encoder(model)
    searchers: dict[str, Searcher] = {}
    cases: dict[str, list[ev.Case]] = {}
    for name in options.sets:
        if name == "squad":
            from index.locations import cache_dir

            passages, cases[name] = squad_cases(options.squad, options.half, options.squad_questions)
            tag = hashlib.blake2b(str(options.squad.resolve()).encode(), digest_size=4).hexdigest()
            folder = cache_dir() / "eval" / f"squad-passages-{tag}"
            if not folder.exists():
                ev.write_passages(passages, folder)
            searchers[name] = index_of(f"squad-{tag}", folder, model, encoder, options.rebuild)
        else:
            corpus = "bbc" if name == "offtopic" else name
            if corpus not in searchers:
                searchers[corpus] = index_of(corpus, CORPORA[corpus], model, encoder, options.rebuild, ["README.md"])
            cases[name] = set_cases(name, options.half)
        encoder.embed([c.question for c in cases[name]])
    encoder.save()
    variants = {"full": frozenset()} | {f"without {a}": frozenset([a]) for a in options.ablate}
    table: dict[str, dict[str, dict[str, Any]]] = {}
    per_question = []
    for variant, disabled in variants.items():
        table[variant] = {}
        for name in options.sets:
            searcher = searchers["bbc" if name == "offtopic" else name]
            log(f"{variant}: {name} ({len(cases[name])} questions)")
            run = ask_all(name, searcher, cases[name], disabled)
            table[variant][name] = row(run)
            if variant == "full":
                per_question += [
                    {
                        "set": name,
                        "question": c.question,
                        "doc": c.doc,
                        "rank": o.rank,
                        "answer_hit": o.answer_hit,
                        "abstained": o.abstained,
                        "answer": [s.text for s in a.answer],
                        "top": [(s.path, s.text[:120]) for s in a.sources[:3]],
                    }
                    for c, o, a in zip(run.cases, run.outcomes, run.answers)
                ]
    print(f"{options.half} halves\n")
    print(markdown(table))
    if options.out:
        options.out.write_text(json.dumps({"half": options.half, "table": table}, indent=2) + "\n")
    if options.questions_out:
        options.questions_out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in per_question))


if __name__ == "__main__":
    main()
