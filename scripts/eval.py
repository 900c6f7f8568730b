"""Compare retrieval modes on a benchmark: the measurements behind the defaults in index/search.py.

    python scripts/eval.py --squad ../shared/eval/squad_v1.1_dev --out squad11.json
    python scripts/eval.py --squad ../shared/eval/squad_v2.0_dev --limit 2000
    python scripts/eval.py --articles ../shared/corpora/bbc --questions tests/data/bbc_questions.jsonl

SQuAD passages are written one per file (`<title>\\n\\n<text>`, so the headline is the passage
title) and indexed by the product's own indexer into a temporary folder; every question then goes
through bot.answer.answer, exactly as `bot ask` would, with the index and model loaded once.
Vectors are cached under $BOT_CACHE_DIR/eval/<model>-<fingerprint>/ by text hash (.npy files, no
pickle), so a rerun embeds nothing it has seen and pays only for answering.
"""

import argparse
import dataclasses
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import answer as answer_module
from bot.evaluate import Case, Outcome, abstain_rates, evaluate, load_cases, read_jsonl, summarise, table
from index.search import Settings

if TYPE_CHECKING:
    import numpy as np

    from index.embed import Encoder
    from index.store import Index

MODES = {"dense": "dense", "bm25": "lexical", "hybrid": "hybrid"}
DEFAULT_RUNS = "dense,bm25,hybrid,hybrid-notitle"


class CachedEncoder:
    """An encoder whose vectors are kept on disk by text hash, so reruns embed nothing twice."""

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
        import numpy as np

        keys = [hashlib.blake2b(t.encode(), digest_size=16).hexdigest() for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in self.known}
        if missing:
            self.known.update(zip(missing, self.encoder.embed(list(missing.values()))))
            self.fresh += list(missing)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.known[k] for k in keys])

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


def squad(folder: Path, limit: int | None) -> tuple[list[dict], list[Case]]:
    """Passages and cases of a SQuAD-style folder; with limit, that many questions spread
    evenly over the set and only the passages they were written against."""
    questions = read_jsonl(folder / "questions.jsonl")
    if limit and limit < len(questions):
        questions = [questions[i * len(questions) // limit] for i in range(limit)]
    wanted = {q["passage_id"] for q in questions} if limit else None
    passages = [p for p in read_jsonl(folder / "passages.jsonl") if wanted is None or p["id"] in wanted]
    files = {p["id"]: f"{n:05d}.txt" for n, p in enumerate(passages)}
    cases = [
        Case(q["question"], files[q["passage_id"]], tuple(q["answers"]), not q.get("is_impossible", False))
        for q in questions
    ]
    return passages, cases


def write_passages(passages: list[dict], folder: Path, titled: bool) -> None:
    """One file per passage; without the headline the indexer falls back to the file number."""
    folder.mkdir(parents=True)
    for n, passage in enumerate(passages):
        body = f"{passage['title']}\n\n{passage['text']}" if titled else passage["text"]
        (folder / f"{n:05d}.txt").write_text(body, encoding="utf-8")


def build(corpus: Path, index_dir: Path, encoder: CachedEncoder) -> "Index":
    from index.embed import model_info
    from index.store import open_index
    from index.update import update

    report = update(index_dir, [corpus], model_info(), lambda: encoder)
    log(f"indexed {corpus}: {report.documents} files, {report.chunks_total} passages ({report.seconds:.0f} s)")
    return open_index(index_dir)


def title_mismatches(index: "Index", passages: list[dict]) -> int:
    """Files whose indexed headline is not their passage title (should be 0)."""
    titles = {Path(p).name: e.title for p, e in index.manifest.files.items()}
    return sum(titles.get(f"{n:05d}.txt") != p["title"] for n, p in enumerate(passages))


def warm(index: "Index", encoder: CachedEncoder, cases: list[Case]) -> None:
    """Embed every question and every passage sentence in large batches (fast) before asking."""
    from index.catalog import all_chunk_texts
    from index.sentences import sentences

    encoder.embed([c.question.strip() for c in cases])
    texts = [text[s:e] for _, _, text in all_chunk_texts(index.catalog) for s, e in sentences(text)]
    encoder.embed(texts)
    encoder.save()


def run(index: "Index", encoder: CachedEncoder, cases: list[Case], settings: Settings) -> tuple[list[Outcome], float]:
    began = time.perf_counter()
    done = [0]

    def tick() -> None:
        done[0] += 1
        if done[0] % 2000 == 0:
            log(f"  {done[0]}/{len(cases)} ({time.perf_counter() - began:.0f} s)")

    outcomes = evaluate(index, encoder, cases, 10, settings, tick)
    return outcomes, time.perf_counter() - began


def report(outcomes: list[Outcome], seconds: float, settings: Settings) -> dict:
    unanswerable, wrong = abstain_rates(outcomes)
    answered = [o.sentences for o in outcomes if not o.abstained]
    return {
        **summarise(outcomes).as_json(),
        "abstain_unanswerable": unanswerable if any(not o.answerable for o in outcomes) else None,
        "wrong_abstain": wrong,
        "sentences_per_answer": sum(answered) / len(answered) if answered else 0.0,
        "seconds": round(seconds, 1),
        "settings": dataclasses.asdict(settings),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_settings(pairs: list[str]) -> Settings:
    """`--set rrf_k=30` overrides of the Settings defaults, for trying values before changing them."""
    changes: dict[str, float | int | str] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        kind = type(getattr(Settings(), key))
        changes[key] = kind(value)
    return dataclasses.replace(Settings(), **changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--squad", type=Path, help="folder with passages.jsonl and questions.jsonl")
    source.add_argument("--articles", type=Path, help="folder of articles the --questions are about")
    parser.add_argument("--questions", type=Path, help='JSONL of {"question", "doc", "gold"}')
    parser.add_argument("--limit", type=int, help="ask only this many questions (spread over the set)")
    parser.add_argument("--runs", default=DEFAULT_RUNS, help=f"comma-separated (default {DEFAULT_RUNS})")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="Settings override")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    if args.articles and not args.questions:
        parser.error("--articles needs --questions")
    from index.embed import load_encoder, model_info
    from index.locations import cache_dir

    info = model_info()
    encoder = CachedEncoder(load_encoder(), cache_dir() / "eval" / f"{info.name}-{info.fingerprint}")
    base = parse_settings(args.set)
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    results: dict = {"benchmark": str(args.squad or args.questions), "limit": args.limit, "runs": {}}
    results["answer_constants"] = {
        name: getattr(answer_module, name)
        for name in ("ANSWER_PASSAGES", "MAX_SENTENCES", "SENTENCE_MARGIN", "OVERLAP_WEIGHT", "ABSTAIN_BELOW")
    }
    with tempfile.TemporaryDirectory(prefix="bot-eval-") as scratch:
        work = Path(scratch)
        indexes: dict[bool, Index] = {}
        if args.squad:
            passages, cases = squad(args.squad, args.limit)
            for titled in sorted({not r.endswith("-notitle") for r in runs}, reverse=True):
                name = "titled" if titled else "untitled"
                write_passages(passages, work / name, titled)
                indexes[titled] = build(work / name, work / f"{name}-index", encoder)
                warm(indexes[titled], encoder, cases)
            if True in indexes:
                results["title_mismatches"] = title_mismatches(indexes[True], passages)
        else:
            cases = load_cases(args.questions)
            if args.limit:
                cases = random.Random(0).sample(cases, min(args.limit, len(cases)))
            indexes[True] = build(args.articles, work / "index", encoder)
            runs = [r for r in runs if not r.endswith("-notitle")]
        results["questions"] = len(cases)
        for name in runs:
            settings = dataclasses.replace(base, mode=MODES[name.removesuffix("-notitle")])
            log(f"{name}: {len(cases)} questions")
            outcomes, seconds = run(indexes[not name.endswith("-notitle")], encoder, cases, settings)
            results["runs"][name] = report(outcomes, seconds, settings)
        encoder.save()
    rows = {name: summarise_row(r) for name, r in results["runs"].items()}
    extra = {name: extra_cells(r) for name, r in results["runs"].items()}
    print(table(rows, extra))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


def summarise_row(result: dict):  # noqa: ANN201
    from bot.evaluate import Scores

    return Scores(
        result["questions"], result["hit@1"], result["hit@5"], result["mrr@10"],
        result["answer_hit"], result["abstained"],
    )


def extra_cells(result: dict) -> dict[str, str]:
    cells = {"sentences/answer": f"{result['sentences_per_answer']:.2f}", "seconds": f"{result['seconds']:.0f}"}
    if result["abstain_unanswerable"] is not None:
        cells["abstain (unanswerable)"] = f"{result['abstain_unanswerable']:.3f}"
        cells["abstain (answerable)"] = f"{result['wrong_abstain']:.3f}"
    return cells


if __name__ == "__main__":
    main()
