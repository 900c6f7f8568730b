"""Compare retrieval modes on a benchmark: the measurements behind the defaults in index/search.py.

    python scripts/eval.py --squad ../shared/eval/squad_v1.1_dev --out squad11.json
    python scripts/eval.py --squad ../shared/eval/squad_v1.1_dev --runs hybrid,hybrid-notitle
    python scripts/eval.py --squad ../shared/eval/squad_v2.0_dev --runs hybrid
    python scripts/eval.py --articles ../shared/corpora/bbc --questions tests/data/bbc_questions.jsonl

SQuAD passages are written one per file (`# <title>\\n\\n<text>`, Markdown, so the headline is
the passage title even when it is one word) and indexed by the product's own indexer into a
temporary folder; every question then goes through bot.answer.answer, exactly as `bot ask` would,
with the index and model loaded once. Vectors (passages, their sentences, questions) are cached
under $BOT_CACHE_DIR/eval/<model>-<fingerprint>/ by text hash (.npy files, no pickle), so a rerun
embeds nothing it has seen and pays only for answering: on 2 cores the full SQuAD v1.1 takes
about 8 min the first time, 2-3 min after. `--set sentence_weight=0` turns the sentence rerank
off. `hybrid-notitle` (passages indexed without their headline) is not in the default runs
because its index costs another 4 min to embed.
"""

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import answer as answer_module
from bot import evaluate as ev
from index.search.hybrid import Settings

if TYPE_CHECKING:
    import numpy as np

    from index.embed.encoder import Encoder
    from index.search.searcher import Searcher

MODES = {"dense": "dense", "bm25": "lexical", "hybrid": "hybrid"}
RUNS = ("dense", "bm25", "hybrid", "hybrid-notitle")
DEFAULT_RUNS = "dense,bm25,hybrid"
THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 15)]
ANSWER_CONSTANTS = [
    "ANSWER_PASSAGES",
    "MAX_SENTENCES",
    "SENTENCE_MARGIN",
    "ANSWER_TERM_WEIGHT",
    "ABSTAIN_BELOW",
]


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
        keys = [_key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in self.known}
        if missing:
            self._remember(list(missing), self.encoder.embed(list(missing.values())))
        return self._stack(keys)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):  # noqa: ANN201
        span_keys = [[_key(f"{t}\0{s}:{e}") for s, e in text_spans] for t, text_spans in zip(texts, spans)]
        missing = [
            i for i, t in enumerate(texts) if any(k not in self.known for k in [_key(t), *span_keys[i]])
        ]
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


def cached_encoder() -> CachedEncoder:
    """The bundled model behind the vector cache for it."""
    from index.embed.load import load_encoder
    from index.embed.model import model_info
    from index.locations import cache_dir

    info = model_info()
    return CachedEncoder(load_encoder(), cache_dir() / "eval" / f"{info.name}-{info.fingerprint}")


def build(corpus: Path, index_dir: Path, encoder: CachedEncoder) -> "Searcher":
    from index.indexer.update import update
    from index.embed.model import model_info
    from index.search.searcher import Searcher

    report = update(index_dir, [corpus], model_info(), lambda: encoder)
    encoder.save()
    log(
        f"indexed {corpus}: {report.documents} files, {report.chunks_total} passages ({report.seconds:.0f} s)"
    )
    return Searcher.open(index_dir, encoder=encoder)  # type: ignore[arg-type]


def title_mismatches(searcher: "Searcher", passages: list[dict]) -> int:
    """Files whose indexed headline is not their passage title (should be 0)."""
    rows = searcher.connection.execute("SELECT display, title FROM articles").fetchall()
    titles = {Path(display).name: title for display, title in rows}
    return sum(titles.get(ev.PASSAGE_FILE.format(n)) != p["title"] for n, p in enumerate(passages))


def warm(encoder: CachedEncoder, cases: list[ev.Case]) -> None:
    """Embed every question in large batches (fast) before asking."""
    encoder.embed([c.question.strip() for c in cases])
    encoder.save()


def ask(searcher: "Searcher", cases: list[ev.Case], settings: Settings) -> tuple[list[ev.Outcome], float]:
    """One run: every case asked through the bot's answer path; (outcomes, seconds)."""
    began = time.perf_counter()
    outcomes = ev.evaluate(searcher, cases, 10, settings)
    return outcomes, time.perf_counter() - began


def summary(outcomes: list[ev.Outcome], seconds: float, settings: Settings) -> dict:
    unanswerable, wrong = ev.abstain_rates(outcomes)
    answered = [o.sentences for o in outcomes if not o.abstained]
    has_unanswerable = any(not o.answerable for o in outcomes)
    curve = (
        ev.abstain_curve(outcomes, THRESHOLDS)
        if has_unanswerable and settings.mode != "lexical"
        else []
    )
    return {
        **ev.summarise(outcomes).as_json(),
        "abstain_unanswerable": unanswerable if has_unanswerable else None,
        "abstain_answerable": wrong if has_unanswerable else None,
        "abstain_curve": [{"below": t, "unanswerable": u, "answerable": a} for t, u, a in curve],
        "sentences_per_answer": sum(answered) / len(answered) if answered else 0.0,
        "seconds": round(seconds, 1),
        "settings": dataclasses.asdict(settings),
    }


def markdown(runs: dict[str, dict]) -> str:
    rows = {
        name: ev.Scores(
            r["questions"], r["hit@1"], r["hit@5"], r["mrr@10"], r["answer_hit"], r["abstained"]
        )
        for name, r in runs.items()
    }
    extra = {}
    for name, r in runs.items():
        extra[name] = {
            "sentences/answer": f"{r['sentences_per_answer']:.2f}",
            "seconds": f"{r['seconds']:.0f}",
        }
        if r["abstain_unanswerable"] is not None:
            extra[name]["abstain (unanswerable)"] = f"{r['abstain_unanswerable']:.3f}"
            extra[name]["abstain (answerable)"] = f"{r['abstain_answerable']:.3f}"
    lines = [ev.table(rows, extra)]
    for name, r in runs.items():
        if r["abstain_curve"]:
            lines += ["", f"Abstention had ABSTAIN_BELOW been each value ({name}):", ""]
            lines += [
                "| ABSTAIN_BELOW | abstain (unanswerable) | abstain (answerable) |",
                "|---:|---:|---:|",
            ]
            lines += [
                f"| {p['below']:.2f} | {p['unanswerable']:.3f} | {p['answerable']:.3f} |"
                for p in r["abstain_curve"]
            ]
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_settings(pairs: list[str]) -> Settings:
    """`--set rrf_k=30` overrides of the Settings defaults, for trying values before changing them."""
    defaults = dataclasses.asdict(Settings())
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in defaults:
            raise ValueError(f"--set {pair}: choose from {', '.join(defaults)}")
        changes[key] = type(defaults[key])(value)
    return dataclasses.replace(Settings(), **changes)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--squad", type=Path, help="folder with passages.jsonl and questions.jsonl")
    source.add_argument(
        "--articles", type=Path, help="folder of articles the --questions are about"
    )
    parser.add_argument("--questions", type=Path, help='JSONL of {"question", "doc", "gold"}')
    parser.add_argument(
        "--limit", type=int, help="ask only this many questions (spread over the set)"
    )
    parser.add_argument(
        "--runs", default=DEFAULT_RUNS, help="comma-separated, from: " + ", ".join(RUNS)
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="Settings override"
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    args.runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    if unknown := set(args.runs) - set(RUNS):
        parser.error(f"unknown runs: {', '.join(sorted(unknown))}")
    if args.articles and not args.questions:
        parser.error("--articles needs --questions")
    if args.articles:  # the article files are used as they are, headlines included
        args.runs = [r for r in args.runs if not r.endswith("-notitle")]
    try:
        args.settings = parse_settings(args.set)
    except ValueError as error:
        parser.error(str(error))
    return args


def main() -> None:
    args = arguments()
    encoder = cached_encoder()
    results: dict = {"benchmark": str(args.squad or args.questions), "limit": args.limit}
    results["answer_constants"] = {name: getattr(answer_module, name) for name in ANSWER_CONSTANTS}
    with tempfile.TemporaryDirectory(prefix="bot-eval-") as scratch:
        work = Path(scratch)
        indexes: dict[bool, Searcher] = {}
        if args.squad:
            passages, cases = ev.load_squad(args.squad, args.limit)
            for titled in sorted({not r.endswith("-notitle") for r in args.runs}, reverse=True):
                name = "titled" if titled else "untitled"
                ev.write_passages(passages, work / name, titled)
                indexes[titled] = build(work / name, work / f"{name}-index", encoder)
                warm(encoder, cases)
            if True in indexes:
                results["title_mismatches"] = title_mismatches(indexes[True], passages)
        else:
            cases = ev.load_cases(args.questions)[: args.limit]
            indexes[True] = build(args.articles, work / "index", encoder)
        results["questions"] = len(cases)
        results["runs"] = {}
        for name in args.runs:
            settings = dataclasses.replace(args.settings, mode=MODES[name.split("-")[0]])
            log(f"{name}: asking {len(cases)} questions")
            outcomes, seconds = ask(indexes[not name.endswith("-notitle")], cases, settings)
            results["runs"][name] = summary(outcomes, seconds, settings)
        encoder.save()
    print(markdown(results["runs"]))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
