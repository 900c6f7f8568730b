"""How much of the BBC corpus's body text survives boilerplate removal, and whether titles match.

Usage: python scripts/boilerplate_check.py [CORPUS_DIR] [--show N]
Each BBC file is "headline\\n\\nbody", paragraphs separated by blank lines; a body paragraph
counts as kept when it appears whole among the cleaned paragraphs. Goal: >= 99.5% kept.
"""

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from index.clean import clean, normalise, sentence_keys  # noqa: E402
from index.repeats import repeat_counts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=REPO.parent / "shared" / "corpora" / "bbc")
    parser.add_argument("--show", type=int, default=10, help="lost paragraphs to print")
    args = parser.parse_args()
    unique: dict[str, tuple[Path, str]] = {}
    for path in sorted(args.corpus.glob("*/*.txt")):
        raw = path.read_text(encoding="utf-8")
        unique.setdefault(hashlib.sha256(normalise(raw).encode()).hexdigest(), (path, raw))
    counts = repeat_counts([sentence_keys(normalise(raw)) for _, raw in unique.values()])
    total = kept = wrong_titles = 0
    reasons: Counter[str] = Counter()
    lost = []
    for path, raw in unique.values():
        cleaned = clean(raw, None, counts)
        headline, _, body = raw.partition("\n\n")
        wrong_titles += cleaned.title != normalise(headline)
        text = "\n".join(p.text for p in cleaned.paragraphs)
        for paragraph in (normalise(b) for b in body.split("\n\n") if b.strip()):
            total += 1
            kept += paragraph in text
            if paragraph not in text:
                lost.append(f"{path.parent.name}/{path.name}: {paragraph[:90]}")
        reasons.update(d.reason for d in cleaned.dropped)
    print(f"{len(unique)} distinct articles, {total} body paragraphs, {kept} kept ({kept / total:.2%})")
    print(f"headlines found: {len(unique) - wrong_titles}/{len(unique)}; dropped by reason: {dict(reasons)}")
    for line in lost[: args.show]:
        print("  lost", line)


if __name__ == "__main__":
    main()
