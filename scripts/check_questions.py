"""Check a question set before using it: the answer is in the article, the question is paraphrased.

    python scripts/check_questions.py tests/data/bbc/tune.jsonl --corpus ../shared/corpora/bbc
    python scripts/check_questions.py tests/data/web/test.jsonl --corpus ../shared/corpora/web/expected_text

Each line is {"question", "doc", "gold": [...]} (off-topic lines have "gold": [] and no doc).
For an answerable line it checks that `doc` exists under the corpus (an `.html` doc is looked up
as the page's expected text, `NNN.txt`), that every gold string occurs in the article verbatim
(whitespace collapsed), and lists every run of four or more words the question shares with the
article, ignoring runs made only of capitalised words and numbers (names, titles, dates). For an
off-topic line it lists the question's rare words that do occur in the corpus, to grep further.
Exits 1 when any line fails.
"""

import argparse
import json
import re
import sys
from pathlib import Path

WORD = re.compile(r"[\w'’-]+")
COMMON = set(
    "a an the of to in on for and or but is are was were be been by with at from as what which who whom whose when"
    " where why how did does do has have had it its this that these those their his her they he she we you i not no"
    " than then there about into over after before many much more most can could would should will may might".split()
)


def collapse(text: str) -> str:
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return WORD.findall(text)


def shared_runs(question: str, article: str, n: int = 4) -> list[str]:
    """Runs of n words (case-folded) in both texts, except runs of names and numbers."""
    article_grams = set()
    article_words = [w.casefold() for w in words(article)]
    for i in range(len(article_words) - n + 1):
        article_grams.add(tuple(article_words[i : i + n]))
    found = []
    asked = words(question)
    for i in range(len(asked) - n + 1):
        gram = asked[i : i + n]
        if tuple(w.casefold() for w in gram) not in article_grams:
            continue
        if all(w[:1].isupper() or w[:1].isdigit() for w in gram):
            continue
        found.append(" ".join(gram))
    return found


def article_text(corpus: Path, doc: str) -> str | None:
    path = corpus / doc
    if doc.endswith((".html", ".htm")):
        path = corpus / (Path(doc).stem + ".txt")
    return path.read_text(encoding="utf-8") if path.is_file() else None


def check(path: Path, corpus: Path, all_text: str | None) -> int:
    failures = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        question, gold = row["question"], row.get("gold", [])
        problems = []
        if gold:
            text = article_text(corpus, row["doc"])
            if text is None:
                problems.append(f"no article {row['doc']}")
            else:
                flat = collapse(text)
                problems += [f"gold not verbatim: {g!r}" for g in gold if collapse(g) not in flat]
                problems += [f"shares {run!r}" for run in shared_runs(question, text)]
        elif all_text is not None:
            rare = [w for w in words(question) if w.casefold() not in COMMON and len(w) > 3]
            present = [w for w in rare if re.search(rf"\b{re.escape(w)}\b", all_text, re.IGNORECASE)]
            if len(present) == len(rare) and rare:
                problems.append(f"every rare word occurs in the corpus: {present}")
        if problems:
            failures += 1
            print(f"{path}:{number}: {question}")
            for problem in problems:
                print(f"    {problem}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--corpus", type=Path, required=True, help="folder the docs are relative to")
    options = parser.parse_args()
    all_text = None
    if any('"gold": []' in f.read_text(encoding="utf-8") for f in options.files):
        all_text = "\n".join(p.read_text(encoding="utf-8") for p in options.corpus.rglob("*.txt"))
    failures = sum(check(f, options.corpus, all_text) for f in options.files)
    print(f"{failures} questions with problems")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
