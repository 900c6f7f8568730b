"""How well saved news pages are read: metadata, body kept, furniture dropped.

    python scripts/web_check.py [--pages ../shared/corpora/web] [--json]

Indexes the pages (a fake encoder: vectors play no part here) and reads them back through
`bot articles --json` and `bot show --json`, as a user's script would, then compares with the
folder's expected.jsonl: title (any alias), published date (±1 day), author, site (any alias),
the three body sentences each page lists (kept: found in the indexed passages), and the
furniture strings (dropped: found in no passage). Whitespace runs compare as one space.
"""

import argparse
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import index.embed.load  # noqa: E402
import index.embed.model  # noqa: E402
from bot.cli import app  # noqa: E402
from index.embed.model import ModelInfo  # noqa: E402
from index.ingest.dates import day, iso_date  # noqa: E402

TARGETS = {"title": 0.90, "date": 0.90, "author": 0.85, "site": 0.85, "kept": 0.97, "dropped": 0.95}


class HashEncoder:
    """Cheap deterministic vectors: enough to build an index whose text is what is measured."""

    name, dim, max_tokens = "hash", 16, 256

    def embed(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, int(hashlib.blake2b(text.encode(), digest_size=2).hexdigest(), 16) % self.dim] = 1.0
        return out

    def embed_passages(self, texts, spans):
        return self.embed(texts), self.embed([t[s:e] for t, ss in zip(texts, spans) for s, e in ss])

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2


def flat(text: str) -> str:
    """Whitespace runs as one space, as the folder's README says; soft hyphens, which a page's
    text carries invisibly and an extractor may drop, ignored."""
    return " ".join(text.replace("\u00a0", " ").replace("\u00ad", "").split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=REPO.parent / "shared" / "corpora" / "web")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    expected = [
        json.loads(line) for line in (options.pages / "expected.jsonl").read_text().splitlines() if line.strip()
    ]
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = Path(scratch) / "model"
        model_dir.mkdir()
        (model_dir / "weights").write_text("hash")
        fake = ModelInfo(model_dir, "hash")
        index.embed.model.model_info = lambda path=None: fake  # type: ignore[assignment]
        index.embed.load.load_encoder = lambda model=None, backend="onnx", on_prepare=None: HashEncoder()  # type: ignore[assignment]
        index_dir = Path(scratch) / "index"
        built = runner.invoke(app, ["index", str(options.pages / "pages"), "--index-dir", str(index_dir)])
        if built.exit_code:
            raise SystemExit(built.output)
        listed = {
            a["path"].split("/")[-1]: a
            for a in json.loads(runner.invoke(app, ["articles", "--json", "--index-dir", str(index_dir)]).stdout)
        }
        results = {key: [] for key in TARGETS}
        misses = []
        for page in expected:
            name = page["file"]
            article = listed.get(name)
            shown = (
                json.loads(
                    runner.invoke(app, ["show", f"pages/{name}", "--json", "--index-dir", str(index_dir)]).stdout
                )
                if article
                else None
            )
            body = flat(" ".join(p["text"] for p in shown["passages"])) if shown else ""
            title_ok = bool(article) and article["title"] in [page["title"], *page.get("title_aliases", [])]
            want = iso_date(page["published"]) if page.get("published") else None
            got = article["published"] if article else None
            date_ok = (want is None and got is None) or bool(want and got and abs((day(want) - day(got)).days) <= 1)  # type: ignore[operator]
            author_ok = bool(article) and (article["author"] or None) == (page["author"] or None)
            site_ok = bool(article) and article["site"] in [page["site"], *page.get("site_aliases", [])]
            for key, ok in (("title", title_ok), ("date", date_ok), ("author", author_ok), ("site", site_ok)):
                results[key].append(ok)
                if not ok:
                    misses.append(
                        f"{name} {key}: got {article and article.get('published' if key == 'date' else key)!r}"
                    )
            for sentence in page["body_sentences"]:
                kept = flat(sentence) in body
                results["kept"].append(kept)
                if not kept:
                    misses.append(f"{name} body sentence lost: {sentence[:70]!r}")
            for furniture in page.get("furniture", []):
                dropped = flat(furniture) not in body
                results["dropped"].append(dropped)
                if not dropped:
                    misses.append(f"{name} furniture kept: {furniture[:70]!r}")
    scores = {key: sum(values) / len(values) for key, values in results.items()}
    if options.json:
        print(json.dumps({"pages": len(expected), **{k: round(v, 3) for k, v in scores.items()}}))
        return
    print("| measure | result | target | |\n|---|---:|---:|---|")
    for key, value in scores.items():
        print(
            f"| {key} | {value:.3f} ({sum(results[key])}/{len(results[key])}) | ≥ {TARGETS[key]:.2f} "
            f"| {'met' if value >= TARGETS[key] else '**not met**'} |"
        )
    for miss in misses:
        print("  " + re.sub(r"\s+", " ", miss))


if __name__ == "__main__":
    main()
