"""Follow-up questions in the chat: told apart from new topics, and answered with the context.

    python scripts/followups.py [--corpus seeds|bbc|all]

Three measurements, on tests/data/dialogues.jsonl (written while designing the rules) and
tests/data/dialogues_heldout.jsonl (written independently, afterwards):
1. Classification: follow-ups recognised by bot.conversation.is_follow_up, new-topic questions
   (and the 400 self-contained questions of the other sets) wrongly taken as follow-ups.
2. Follow-ups answered: after the first question, is one of the follow-up's top 3 passages from
   `doc` and holding `gold`, asked alone and through the chat's retrieval_query?
3. New topics kept apart: the second question's hit@3 (or abstention, when it has no answer)
   asked alone and after the first question, through the chat's path: they should agree.
Indexes are the evaluation indexes of scripts/eval.py (built there if missing).
"""

import argparse
import glob
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from eval import CORPORA, cached_encoder, index_of  # noqa: E402

from bot.answer import answer  # noqa: E402
from bot.conversation import Conversation, Turn, already_said, is_follow_up, retrieval_query  # noqa: E402
from bot.evaluate import contains_gold, path_matches  # noqa: E402

DATA = REPO / "tests" / "data"
SETS = {"tuning": DATA / "dialogues.jsonl", "held-out": DATA / "dialogues_heldout.jsonl"}


def hit(result, doc: str, gold: str) -> bool:
    return any(path_matches(s.path, doc) and contains_gold(s.text, [gold]) for s in result.sources[:3])


def in_chat(searcher, first: str, second: str):
    """The second question's answer as the chat gives it, after the first."""
    conversation = Conversation()
    previous = answer(searcher, first, k=3)
    conversation.turns.append(Turn(first, first, [s.file for s in previous.sources], [s.text for s in previous.answer]))
    query, prefer = retrieval_query(second, conversation)
    return answer(searcher, second, k=3, query=query, prefer=prefer, avoid=already_said(second, conversation))


def main() -> None:
    from index.embed.model import model_info

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["seeds", "bbc", "all"], default="all")
    options = parser.parse_args()
    corpora = ["seeds", "bbc"] if options.corpus == "all" else [options.corpus]
    model = model_info()
    encoder = cached_encoder(model)
    searchers = {c: index_of(c, CORPORA[c], model, encoder, False, ["README.md"]) for c in corpora}
    others = []
    for f in sorted(glob.glob(str(DATA / "*" / "*.jsonl"))):
        with open(f) as lines:
            others += [json.loads(line)["question"] for line in lines]
    taken = sum(map(is_follow_up, others))
    print(f"self-contained questions of the other sets taken as follow-ups: {taken} of {len(others)}\n")
    print(
        "| dialogues | follow-ups recognised | new topics taken as follow-ups | follow-up hit@3 alone | with context "
        "| new topic agrees alone / in chat |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, path in SETS.items():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = [r for r in rows if r.get("corpus") in corpora]
        follow = [r for r in rows if r.get("kind", "follow_up") == "follow_up"]
        fresh = [r for r in rows if r.get("kind") == "new_topic"]
        recognised = sum(is_follow_up(r["follow_up"]) for r in follow)
        mistaken = sum(is_follow_up(r["second"]) for r in fresh)
        alone = sum(hit(answer(searchers[r["corpus"]], r["follow_up"], k=3), r["doc"], r["gold"]) for r in follow)
        context = sum(
            hit(in_chat(searchers[r["corpus"]], r["first"], r["follow_up"]), r["doc"], r["gold"]) for r in follow
        )
        agree = 0
        for r in fresh:
            searcher = searchers[r["corpus"]]
            single, chat = answer(searcher, r["second"], k=3), in_chat(searcher, r["first"], r["second"])
            if r["doc"]:
                agree += hit(single, r["doc"], r["gold"]) == hit(chat, r["doc"], r["gold"])
            else:
                agree += single.abstained == chat.abstained
        print(
            f"| {name} | {recognised}/{len(follow)} | {mistaken}/{len(fresh)} | {alone / max(len(follow), 1):.2f} "
            f"| {context / max(len(follow), 1):.2f} | {agree}/{len(fresh)} |"
        )


if __name__ == "__main__":
    main()
