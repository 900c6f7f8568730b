"""Follow-up questions: hit@3 of the second turn with and without the conversation context.

Usage: python scripts/followups.py [--corpus seeds|bbc|all] [--index-root DIR]
Builds (or reuses) an index per corpus under --index-root, asks each dialogue's first
question, then its follow-up twice: alone, and through bot.conversation.retrieval_query.
A follow-up hits when one of its top 3 passages comes from `doc` and contains `gold`.
"""

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.answer import answer  # noqa: E402
from bot.conversation import Conversation, Turn, retrieval_query  # noqa: E402
from index.embed.load import load_encoder  # noqa: E402
from index.embed.model import model_info  # noqa: E402
from index.indexer.update import update  # noqa: E402
from index.search.searcher import Searcher  # noqa: E402
from index.text.normalise import normalise  # noqa: E402

CORPORA = {"seeds": REPO / "seeds", "bbc": REPO.parent / "shared" / "corpora" / "bbc"}
DIALOGUES = REPO / "tests" / "data" / "dialogues.jsonl"


def hit(result, doc: str, gold: str) -> bool:  # noqa: ANN001
    wanted = normalise(gold).casefold()
    return any(s.path.endswith(doc) and wanted in s.text.casefold() for s in result.sources[:3])


def run(corpus: str, index_root: Path, encoder) -> list[dict]:  # noqa: ANN001
    directory = index_root / corpus
    update(directory, [CORPORA[corpus]], model_info(), lambda: encoder)
    index = Searcher.open(directory, encoder=encoder)
    rows = []
    for line in DIALOGUES.read_text(encoding="utf-8").splitlines():
        dialogue = json.loads(line)
        if dialogue["corpus"] != corpus:
            continue
        conversation = Conversation()
        first = answer(index, dialogue["first"], k=3)
        conversation.turns.append(Turn(dialogue["first"], dialogue["first"], [s.file for s in first.sources]))
        alone = answer(index, dialogue["follow_up"], k=3)
        query, prefer = retrieval_query(dialogue["follow_up"], conversation)
        with_context = answer(index, dialogue["follow_up"], k=3, query=query, prefer=prefer)
        rows.append(
            {
                "corpus": corpus,
                "follow_up": dialogue["follow_up"],
                "alone": hit(alone, dialogue["doc"], dialogue["gold"]),
                "with_context": hit(with_context, dialogue["doc"], dialogue["gold"]),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["seeds", "bbc", "all"], default="all")
    parser.add_argument("--index-root", type=Path, default=Path("/tmp/newsbot-followups"))
    args = parser.parse_args()
    encoder = load_encoder()
    corpora = list(CORPORA) if args.corpus == "all" else [args.corpus]
    rows = [row for corpus in corpora for row in run(corpus, args.index_root, encoder)]
    for row in rows:
        print(f"{row['corpus']:5} alone={row['alone']!s:5} context={row['with_context']!s:5} {row['follow_up']}")
    alone = sum(r["alone"] for r in rows) / len(rows)
    context = sum(r["with_context"] for r in rows) / len(rows)
    print(f"\n| follow-ups | hit@3 alone | hit@3 with context |\n|---|---|---|\n| {len(rows)} | {alone:.2f} | {context:.2f} |")


if __name__ == "__main__":
    main()
