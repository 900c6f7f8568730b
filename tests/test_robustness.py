"""Issue #6: hostile files, questions and tampered indexes.

Every case must end in a one-line message or a skip notice, never a traceback, and must never
change the existing index except by adding what is valid. Most cases use a deterministic fake
encoder through the real CLI (typer's CliRunner); the hostile questions use the real model.
"""

import contextlib
import json
import os
import pickle
import re
import shutil
import sqlite3
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import bag_of_words, open_searcher
from conftest import fake_model as make_fake_model
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

import index.embed.load
import index.embed.model
from bot.answer import Answer, answer
from bot.cli import app
from index.embed.model import ModelInfo
from index.errors import BadQuestion
from index.indexer.update import update
from index.search.searcher import Searcher
from index.store import codec
from index.text.furniture import Cleaned, clean
from index.text.normalise import normalise, units
from index.text.split import embed_spans, embed_text, split

RUNNER = CliRunner()
REPO = Path(__file__).resolve().parent.parent


# --- a fast deterministic encoder and the CLI wired to it ------------------------------------


class WordHashEncoder:
    """Bag-of-words vectors hashed into 32 dimensions; a word counts as one token."""

    name = "fake-words"
    dim = 32
    max_tokens = 64

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return bag_of_words(texts, self.dim)

    def embed_passages(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):
        pieces = [text[start:end] for text, text_spans in zip(texts, spans) for start, end in text_spans]
        return self.embed(texts), self.embed(pieces)

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2


FAKE = WordHashEncoder()


@pytest.fixture(scope="module")
def fake_info(tmp_path_factory: pytest.TempPathFactory) -> ModelInfo:
    return make_fake_model(tmp_path_factory.mktemp("fake-model"), FAKE.name)


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch, fake_info: ModelInfo) -> None:
    """`bot index` and `bot ask` load the fake encoder instead of the bundled model."""
    monkeypatch.setattr(index.embed.model, "model_info", lambda path=None: fake_info)
    monkeypatch.setattr(
        index.embed.load, "load_encoder", lambda model=None, backend="onnx", on_prepare=None, queries=False: FAKE
    )


def invoke(*args: object) -> Result:
    """Run the CLI in-process; an uncaught exception (a traceback for the user) fails the test."""
    result = RUNNER.invoke(app, [str(a) if isinstance(a, Path) else a for a in args])
    error = result.exception
    if error is not None and not isinstance(error, SystemExit):
        shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        raise AssertionError(f"bot {' '.join(map(str, args))} raised instead of one line:\n{shown}")
    assert "Traceback" not in result.output
    return result


def assert_one_line_error(result: Result, *needles: str) -> str:
    """Exit 1 and exactly one line on stderr, `Error: …`, containing every needle."""
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def snapshot(index_dir: Path) -> dict[str, list[str]]:
    """display -> chunk texts in order, read straight from the store."""
    opened = Searcher.open(index_dir, load_model=False)
    try:
        rows = opened.connection.execute(
            "SELECT a.display, c.text FROM chunks c JOIN articles a ON a.id = c.article ORDER BY a.display, c.start"
        ).fetchall()
    finally:
        opened.close()
    out: dict[str, list[str]] = {}
    for display, text in rows:
        out.setdefault(display, []).append(codec.unpack_text(text))
    return out


# --- articles: non-ASCII, with boilerplate --------------------------------------------------

ARTICLES = {
    "harbour.txt": """Harbour crane collapses in storm

Subscribe to our newsletter

A crane at the Portmeirion harbour collapsed on Tuesday night as winds reached 120 km/h, the port authority said.

Nobody was hurt, but the quay will stay closed until engineers from Škoda Transportation have inspected the wreck.

Zoë Ball, who runs the café on the quay, said the noise "sounded like the sky falling".
""",
    "budget.txt": """Council approves €4m budget for libraries

The city council approved a budget of €4m on Monday to reopen three libraries closed in 2019.

The libraries in Søndervig, Łódź Street and the old town will open on Sundays, councillors said.

Share this article
""",
    "match.md": """# Late goal sends Rovers top

Rovers went top of the league on Saturday after a 94th-minute goal from striker José Núñez beat City 2-1.

The manager praised the crowd of 18,000, the club's biggest attendance since the stadium was rebuilt.
""",
}
VALID_BODY = (
    "Hostile Case Headline\n\n"
    "The ferry company said on Friday that its new electric boats would cross the fjord every hour "
    "from next spring, halving the fares for commuters.\n"
)


def write_articles(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, fake_info: ModelInfo) -> tuple[Path, dict[str, list[str]]]:
    """An index of the three articles (fake encoder) and its snapshot; copy it, never modify it."""
    root = tmp_path_factory.mktemp("base")
    articles = write_articles(root / "news")
    update(root / "index", [articles], fake_info, lambda: FAKE)
    return root / "index", snapshot(root / "index")


@pytest.fixture
def index_copy(base: tuple[Path, dict[str, list[str]]], tmp_path: Path) -> Path:
    shutil.copytree(base[0], tmp_path / "index")
    return tmp_path / "index"


# --- A. hostile files ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileCase:
    """make(folder) creates the hostile file(s) and returns the name to look for in the output."""

    id: str
    make: Callable[[Path], str]
    expect: str  # "index", "skip" or "either"
    reason: str = ""
    marks: tuple = ()


def _write(name: str | bytes, data: bytes) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        path = os.path.join(os.fsencode(folder), os.fsencode(name))
        with open(path, "wb") as handle:
            handle.write(data)
        return os.fsdecode(name)

    return make


def _body(variant: str) -> str:
    """A valid article unlike the base ones, so indexing it cannot change their chunks."""
    return VALID_BODY.replace("Friday", variant)


def _symlink_loop(folder: Path) -> str:
    (folder / "loop.txt").symlink_to("loop.txt")
    return "loop.txt"


def _directory_loop(folder: Path) -> str:
    (folder / "again").symlink_to("..")
    (folder / "real.txt").write_text(_body("Sunday"), encoding="utf-8")
    return "real.txt"


def _dangling(folder: Path) -> str:
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    return "gone.txt"


def _unreadable(folder: Path) -> str:
    path = folder / "secret.txt"
    path.write_text(_body("Thursday"), encoding="utf-8")
    path.chmod(0)
    return "secret.txt"


def _to_dev_null(folder: Path) -> str:
    (folder / "null.txt").symlink_to("/dev/null")
    return "null.txt"


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.txt")
    return "pipe.txt"


def _deep(folder: Path) -> str:
    deep = folder.joinpath(*[f"d{i}" for i in range(60)])
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text(_body("Wednesday"), encoding="utf-8")
    return "deep.txt"


def _directory_named_txt(folder: Path) -> str:
    (folder / "folder.txt").mkdir()
    (folder / "folder.txt" / "inner.txt").write_text(_body("Tuesday"), encoding="utf-8")
    return "inner.txt"


def _huge(folder: Path) -> str:
    with open(folder / "huge.txt", "wb") as handle:
        handle.truncate(50 * 2**20)  # sparse: 50 MB on paper, nothing on disk
    return "huge.txt"


def _huge_real(folder: Path) -> str:
    line = (VALID_BODY.split("\n\n")[1].strip() + " ").encode() * (50 * 2**20 // 170 + 1)
    (folder / "huge_text.txt").write_bytes(line[: 50 * 2**20])
    return "huge_text.txt"


def _one_mb_line() -> bytes:
    sentence = "Shares in the shipping firm rose by four percent on Monday after the results. "
    return ("Shipping shares rise\n\n" + sentence * (2**20 // len(sentence))).encode()


FILE_CASES = [
    FileCase(
        "binary-random",
        _write("random.txt", bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8))),
        "skip",
        "binary",
    ),
    FileCase("binary-png", _write("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8), "skip", "PNG image"),
    FileCase(
        "binary-gzip-as-md",
        _write("archive.md", b"\x1f\x8b\x08\x00" + bytes(range(255, -1, -1)) * 8),
        "skip",
        "gzip archive",
    ),
    FileCase("empty", _write("empty.txt", b""), "skip", "empty file"),
    FileCase("whitespace-only", _write("blank.txt", b"  \n\r\n\t \n"), "skip", "empty file"),
    FileCase(
        "invalid-utf8", _write("broken.txt", _body("Saturday").encode() + b"\xff\xfe\xc3(\xa0\xa1 end.\n"), "index"
    ),
    FileCase("utf16-le-bom", _write("utf16le.txt", _body("Café day").encode("utf-16")), "index"),
    FileCase("utf16-be-bom", _write("utf16be.txt", b"\xfe\xff" + _body("Zürich day").encode("utf-16-be")), "index"),
    FileCase("utf32-bom", _write("utf32.txt", _body("Łódź day").encode("utf-32")), "index"),
    FileCase("utf8-bom", _write("utf8bom.txt", b"\xef\xbb\xbf" + _body("Mañana").encode()), "index"),
    FileCase("utf16-bom-odd-length", _write("odd16.txt", b"\xff\xfe" + b"a\x00b\x00c"), "either"),
    FileCase("latin-1", _write("latin1.txt", _body("Fête de la café").encode("latin-1")), "index"),
    FileCase("cp1252-quotes", _write("quotes.txt", _body("\u201cBlack\u201d Friday").encode("cp1252")), "index"),
    FileCase("crlf", _write("crlf.txt", _body("Easter Monday").replace("\n", "\r\n").encode()), "index"),
    FileCase("lone-cr", _write("cr.txt", _body("Boxing Day").replace("\n", "\r").encode()), "index"),
    FileCase("one-1mb-line", _write("oneline.txt", _one_mb_line()), "index"),
    FileCase("nul-bytes-few", _write("nul.txt", _body("Midsummer").encode().replace(b" ", b"\x00", 2)), "either"),
    FileCase("nul-bytes-many", _write("nuls.txt", b"\x00".join(_body("Xmas").encode().split(b" "))), "either"),
    FileCase("control-chars-only", _write("controls.txt", bytes(range(1, 9)) * 200), "skip"),
    FileCase("only-punctuation", _write("punct.txt", b"!!! ??? ... --- ***\n\n;;; ,,,\n"), "either"),
    FileCase("only-headings", _write("headings.md", b"# One\n\n## Two\n\n### Three\n"), "either"),
    FileCase("one-huge-word", _write("word.txt", b"Word wall\n\n" + b"x" * 200_000), "either"),
    FileCase(
        "emoji-and-rtl",
        _write("emoji.txt", ("Fans 🎉 celebrate\n\n" + "مرحبا بالعالم 🎉🔥 " * 40 + "\n").encode()),
        "either",
    ),
    FileCase("zero-width-and-combining", _write("zw.txt", _body("Cafe\u0301\u200b\u200d\ufeff day").encode()), "index"),
    FileCase("symlink-loop", _symlink_loop, "skip", "symbolic link"),
    FileCase("directory-symlink-loop", _directory_loop, "index"),
    FileCase("dangling-symlink", _dangling, "skip"),
    FileCase("symlink-to-dev-null", _to_dev_null, "skip"),
    FileCase(
        "unreadable-chmod-000",
        _unreadable,
        "index" if os.geteuid() == 0 else "skip",
        "" if os.geteuid() == 0 else "ermission",
    ),
    FileCase("name-with-newline", _write("new\nline.txt", _body("Halloween").encode()), "either"),
    FileCase(
        "name-not-utf8",
        _write(b"caf\xe9-\xff.txt", _body("Bastille Day").encode()),
        "either",
    ),
    FileCase("name-with-spaces-and-quotes", _write('it\'s a "story" (1).txt', _body("Leap Day").encode()), "index"),
    FileCase(
        "html-scripts-no-text",
        _write(
            "empty.html",
            b"<html><head><script>alert('x')</script><style>p{}</style></head>"
            b"<body><script>var a=1;</script></body></html>",
        ),
        "skip",
        "no article text",
    ),
    FileCase(
        "html-broken-markup",
        _write("broken.html", b"<html><body><p>Unclosed <b>tags <div></span>" + _body("Carnival").encode() + b"</i>"),
        "either",
    ),
    FileCase("html-as-binary", _write("bin.htm", bytes(range(256)) * 20), "skip", "binary"),
    FileCase("unknown-suffix", _write("report.pdf", b"%PDF-1.4\n" + bytes(range(256))), "skip", "not an article file"),
    FileCase("hidden-file", _write(".hidden.txt", _body("Hidden").encode()), "absent"),
    FileCase("directory-named-txt", _directory_named_txt, "index"),
    FileCase("sixty-levels-deep", _deep, "index"),
    FileCase("50mb-sparse", _huge, "skip", "too large"),
    FileCase("50mb-text", _huge_real, "skip", "too large"),
    FileCase(
        "fifo",
        _fifo,
        "skip",
    ),
]


def _index_with_deadline(args: list[object], folder: Path, seconds: float) -> Result:
    """Run `bot index`; if it hangs (a FIFO), unblock it by opening the FIFOs for writing, then fail."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["result"] = invoke(*args)
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        for pipe in folder.rglob("*"):
            if pipe.is_fifo():
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(30)
        raise AssertionError(f"bot index still running after {seconds:.0f} s (hangs)")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in FILE_CASES])
def test_hostile_file(
    case: FileCase, fake_model: None, index_copy: Path, base: tuple[Path, dict[str, list[str]]], tmp_path: Path
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    name = case.make(folder)
    result = _index_with_deadline(["index", folder, "--index-dir", index_copy], folder, 5)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith(("Indexed: ", "Index is up to date: ")), lines
    skips = [line for line in lines[:-1] if line.startswith("skipped ")]
    after = snapshot(index_copy)
    opened = Searcher.open(index_copy, load_model=False)
    titles = dict(opened.connection.execute("SELECT display, title FROM articles").fetchall())
    opened.close()
    indexed = set(titles)
    hostile_indexed = {d for d in indexed if d.startswith("hostile/")}
    for display in hostile_indexed:  # every chunk fits the encoder's window
        for text in after.get(display, []):
            assert FAKE.count_tokens(embed_text(titles[display], text)) <= FAKE.max_tokens
    shown = os.fsencode(name).decode("utf-8", "backslashreplace")  # how an undecodable name is shown
    hostile_skipped = [s for s in skips if name in s or shown in s]
    assert all(after[d] == chunks for d, chunks in base[1].items()), "the existing articles changed"
    assert set(after) - set(base[1]) <= hostile_indexed
    if case.expect == "absent":
        assert not hostile_indexed and not hostile_skipped
    elif case.expect == "skip":
        assert not any(d.endswith(name) for d in hostile_indexed), hostile_indexed
        assert len(hostile_skipped) == 1 and case.reason in hostile_skipped[0], skips
        assert "\n" not in hostile_skipped[0]
    elif case.expect == "index":
        assert any(d.endswith(name) for d in hostile_indexed), (hostile_indexed, skips)
        assert not hostile_skipped, skips
        chunks = [t for d, texts in after.items() if d.endswith(name) for t in texts]
        assert chunks and all("\r" not in t and "\x00" not in t and "\ufeff" not in t for t in chunks)
        assert any("ferry" in t or "Shipping" in t or "shipping" in t for t in chunks), chunks[:2]
    else:
        assert any(d.endswith(name) for d in hostile_indexed) or hostile_skipped, (lines, indexed)
    ask = invoke("ask", "when do the electric ferries cross the fjord?", "--index-dir", index_copy)
    assert ask.exit_code == 0, ask.output


def test_splitting_an_unpunctuated_line_is_near_linear() -> None:
    """A 100 KB line with no sentence end must not be tokenized hundreds of times over."""
    words = ("the government said growth would slow as prices rise in the coming year").split()
    line = " ".join(words[i % len(words)] for i in range(100_000 // 6))
    counted = [0]

    def count(text: str) -> int:
        counted[0] += len(text)
        return len(text.split()) + 2

    chunks = split(clean("Long line\n\n" + line), count, 64)
    assert len(chunks) > 100
    assert counted[0] <= 40 * len(line), f"tokenized {counted[0] / len(line):.0f}x the text"


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda d: d / "missing", "Path not found"),
        (lambda d: _link(d / "self", "self"), "Path not found"),
    ],
    ids=["missing-path", "path-is-symlink-loop"],
)
def test_hostile_index_arguments(
    make: Callable[[Path], Path], needle: str, fake_model: None, index_copy: Path, tmp_path: Path
) -> None:
    before = snapshot(index_copy)
    assert_one_line_error(invoke("index", make(tmp_path), "--index-dir", index_copy), needle)
    assert snapshot(index_copy) == before


def _link(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


@pytest.mark.slow
def test_ten_thousand_tiny_files(fake_model: None, index_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    for n in range(10_000):
        (folder / f"{n:05d}.txt").write_text(
            f"Note {n}\n\nItem {n} of the tiny files: the count went up by {n % 97} today.\n"
        )
    result = invoke("index", folder, "--index-dir", index_copy)
    assert result.exit_code == 0, result.output
    assert len([d for d in snapshot(index_copy) if d.startswith("tiny/")]) == 10_000


# --- A. hostile questions (real model) ---------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, object]]:
    """The three articles indexed with the bundled model, and that encoder (loaded once)."""
    root = tmp_path_factory.mktemp("real")
    with pytest.MonkeyPatch.context() as patch:
        # reuse an exported ONNX model when the caller points at one; never the user's cache
        patch.setenv("BOT_CACHE_DIR", os.environ.get("BOT_CACHE_DIR") or str(root / "cache"))
        encoder = index.embed.load.load_encoder()
        encoder.embed(["warm up"])
        update(root / "index", [write_articles(root / "news")], index.embed.model.model_info(), lambda: encoder)
    yield root / "index", encoder


QUESTIONS = [
    ("empty", "", "error"),
    ("spaces", "   ", "error"),
    ("tabs-newlines", "\t\n\r\n", "error"),
    ("ten-thousand-chars", ("who runs the café on the quay " * 400)[:10_000], "ok"),
    ("ten-thousand-char-word", "a" * 10_000, "ok"),
    ("only-punctuation", "?!.,;:'\"()[]{}<>/\\|-=+*&^%$#@~`", "error"),
    ("punctuation-with-underscore", "___ ?!", "either"),
    ("control-characters", "\x01\x02\x07who \x1b[31mruns the café\x1b[0m\x7f?", "ok"),
    ("emoji-only", "😀🎉🔥🇬🇧", "error"),
    ("emoji-with-words", "🏗️ crane collapse 💨 storm?", "ok"),
    ("bm25-field-syntax", "title:foo AND bar*", "ok"),
    ("bm25-phrase-not", '"quoted" OR -x', "ok"),
    ("bm25-fuzzy-boost", "crane~2 harbour^3 (storm OR wind)", "ok"),
    ("sql-injection", "'; DROP TABLE chunks; --", "ok"),
    ("rich-markup", "[bold red]budget[/bold red] [link=http://x]libraries[/link]", "ok"),
    ("format-strings", "{0} {question!r} %s %(x)s budget", "ok"),
    ("html-script", "<script>alert('budget')</script>", "ok"),
    ("arabic-rtl", "ما هي ميزانية المكتبات؟", "ok"),
    ("cjk", "图书馆的预算是多少？", "ok"),
    ("combining-and-zero-width", "cafe\u0301 on the qu\u200bay", "ok"),
    ("newline-inside", "who scored\nthe late goal?", "ok"),
    ("stopwords-only", "the of and to a", "ok"),
    ("numbers-only", "2019 120 18,000 94", "ok"),
    ("non-utf8-argv", "budget \udcff\udcfe libraries", "ok"),
    ("lone-surrogate-only", "\udcff", "error"),
    ("looks-like-option", "-- --help", "ok"),
]


def _question_params() -> list:
    return [pytest.param(q, expect, id=name, marks=()) for name, q, expect in QUESTIONS]


@pytest.mark.parametrize(("question", "expect"), _question_params())
def test_hostile_question_cli(
    question: str, expect: str, real: tuple[Path, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, encoder = real
    monkeypatch.setattr(
        index.embed.load, "load_encoder", lambda model=None, backend="onnx", on_prepare=None, queries=False: encoder
    )
    before = snapshot(directory)
    result = invoke("ask", "--index-dir", directory, "--", question)
    if expect == "error" or (expect == "either" and result.exit_code != 0):
        assert_one_line_error(result)
    else:
        assert result.exit_code == 0, result.output
        assert result.stdout.strip()
        as_json = invoke("ask", "--json", "--index-dir", directory, "--", question)
        assert as_json.exit_code == 0
        assert isinstance(json.loads(as_json.stdout)["sources"], list)
    assert snapshot(directory) == before


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("nul\x00inside budget", id="nul-inside"),
        pytest.param("\x00", id="only-nul"),
        pytest.param("\ud800 budget", id="high-surrogate"),
        pytest.param("budget " * 3000, id="3000-words"),
        pytest.param("\u202eevil\u202c budget", id="bidi-override"),
    ],
)
def test_hostile_question_library(question: str, real: tuple[Path, object]) -> None:
    """The library either answers or raises BadQuestion (a one-line UserError)."""
    directory, encoder = real
    opened = open_searcher(directory, encoder)
    with contextlib.suppress(BadQuestion):
        assert isinstance(answer(opened, question), Answer)


# --- A. tampered index ------------------------------------------------------------------------


def _store(index_dir: Path) -> Path:
    """The current store directory (read before any tampering)."""
    return index_dir / (index_dir / "CURRENT").read_text().strip()


def _part(index_dir: Path, relative: str) -> Path:
    """A file of the index: CURRENT, the database, or a segment file ("dense", "bm25/<array>")."""
    if relative == "CURRENT":
        return index_dir / "CURRENT"
    store = _store(index_dir)
    if relative.startswith("dense"):
        return next((store / "segments").glob("dense-*.faiss"))
    if relative.startswith("bm25"):
        folder = next((store / "segments").glob("bm25-*"))
        return folder / relative.split("/", 1)[1] if "/" in relative else folder
    return store / relative


def _truncate(relative: str, keep: float = 0.5) -> Callable[[Path], None]:
    def tamper(index_dir: Path) -> None:
        path = _part(index_dir, relative)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return tamper


def _overwrite(relative: str, data: bytes) -> Callable[[Path], None]:
    def tamper(index_dir: Path) -> None:
        _part(index_dir, relative).write_bytes(data)

    return tamper


def _delete(relative: str) -> Callable[[Path], None]:
    def tamper(index_dir: Path) -> None:
        path = _part(index_dir, relative)
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return tamper


def _sql(statement: str) -> Callable[[Path], None]:
    def tamper(index_dir: Path) -> None:
        connection = sqlite3.connect(_store(index_dir) / "store.sqlite")
        connection.execute(statement)
        connection.commit()
        connection.close()

    return tamper


def _flip_bytes(relative: str) -> Callable[[Path], None]:
    def tamper(index_dir: Path) -> None:
        path = _part(index_dir, relative)
        data = bytearray(path.read_bytes())
        for offset in range(len(data) // 3, len(data) // 3 + 64):
            data[offset] ^= 0x5A
        path.write_bytes(bytes(data))

    return tamper


def _faiss_of_dim(dim: int) -> Callable[[Path], None]:
    def tamper(index_dir: Path) -> None:
        import faiss

        path = _part(index_dir, "dense")
        ids = faiss.vector_to_array(faiss.read_index(str(path)).id_map)
        wrong = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        wrong.add_with_ids(np.random.default_rng(0).standard_normal((len(ids), dim)).astype(np.float32), ids)
        faiss.write_index(wrong, str(path))

    return tamper


def _faiss_without_ids(index_dir: Path) -> None:
    import faiss

    plain = faiss.IndexFlatIP(FAKE.dim)
    plain.add(np.eye(FAKE.dim, dtype=np.float32)[:5])
    faiss.write_index(plain, str(_part(index_dir, "dense")))


def _postings_out_of_range(index_dir: Path) -> None:
    path = _part(index_dir, "bm25/docs.npy")
    np.save(path, np.full_like(np.load(path), 10**6))


def _current_is_a_directory(index_dir: Path) -> None:
    (index_dir / "CURRENT").unlink()
    (index_dir / "CURRENT").mkdir()


@dataclass(frozen=True)
class Tamper:
    """ask: "error" = one line naming `bot index --rebuild`; "either" = that or an answer."""

    id: str
    apply: Callable[[Path], None]
    ask: str
    ask_bug: str = ""
    update_bug: str = ""
    heals: bool = True


TAMPERS = [
    Tamper("pointer-truncated", _truncate("CURRENT"), "error"),
    Tamper("pointer-empty", _overwrite("CURRENT", b""), "error"),
    Tamper("pointer-binary", _overwrite("CURRENT", bytes(range(256))), "error"),
    Tamper("pointer-to-missing-store", _overwrite("CURRENT", b"store-999999\n"), "error"),
    Tamper("pointer-path-escape", _overwrite("CURRENT", b"../../etc\n"), "error"),
    Tamper("pointer-is-a-directory", _current_is_a_directory, "error", heals=False),
    Tamper("database-truncated", _truncate("store.sqlite"), "error"),
    Tamper("database-empty", _overwrite("store.sqlite", b""), "error"),
    Tamper("database-garbage", _overwrite("store.sqlite", b"SQLite format 3\x00" + bytes(range(256)) * 8), "error"),
    Tamper("database-deleted", _delete("store.sqlite"), "error"),
    Tamper("database-table-dropped", _sql("DROP TABLE chunks"), "error"),
    Tamper("database-bytes-flipped", _flip_bytes("store.sqlite"), "either"),
    Tamper("meta-newer-format", _sql("UPDATE meta SET value = '99' WHERE key = 'format_version'"), "error"),
    Tamper("meta-deleted", _sql("DELETE FROM meta"), "error"),
    Tamper("meta-not-json", _sql("UPDATE meta SET value = '{x' WHERE key = 'roots'"), "error"),
    Tamper("meta-wrong-dimension", _sql("UPDATE meta SET value = '48' WHERE key = 'encoder_dim'"), "error"),
    Tamper("meta-generation-not-a-number", _sql("UPDATE meta SET value = '\"x\"' WHERE key = 'generation'"), "error"),
    Tamper("segment-row-deleted", _sql("DELETE FROM segments"), "either"),
    Tamper("segment-count-wrong", _sql("UPDATE segments SET chunks = chunks + 5"), "error"),
    Tamper("vector-blob-garbage", _sql("UPDATE vectors SET sentences = x'0102'"), "error"),
    Tamper("dense-truncated", _truncate("dense"), "error"),
    Tamper("dense-empty", _overwrite("dense", b""), "error"),
    Tamper("dense-garbage", _overwrite("dense", bytes(range(256)) * 16), "error"),
    Tamper("dense-deleted", _delete("dense"), "error"),
    Tamper("dense-wrong-dimension", _faiss_of_dim(FAKE.dim * 2), "error"),
    Tamper("dense-without-id-map", _faiss_without_ids, "error"),
    Tamper("bm25-array-truncated", _truncate("bm25/tfs.npy"), "error"),
    Tamper("bm25-array-deleted", _delete("bm25/docs.npy"), "error"),
    Tamper("bm25-postings-out-of-range", _postings_out_of_range, "error"),
    Tamper("bm25-folder-deleted", _delete("bm25"), "error"),
    Tamper("segments-folder-deleted", _delete("segments"), "error"),
    Tamper("store-deleted", lambda d: shutil.rmtree(_store(d)), "error"),
]


def _tamper_params(bug: Callable[[Tamper], str]) -> list:
    return [
        pytest.param(c, id=c.id, marks=(pytest.mark.xfail(reason=bug(c), strict=True),) if bug(c) else ())
        for c in TAMPERS
    ]


def _roots(index_dir: Path) -> list[Path]:
    connection = sqlite3.connect(_store(index_dir) / "store.sqlite")
    roots = json.loads(connection.execute("SELECT value FROM meta WHERE key = 'roots'").fetchone()[0])
    connection.close()
    return [Path(r) for r in roots]


@pytest.mark.parametrize("case", _tamper_params(lambda c: c.ask_bug))
def test_tampered_index_ask_and_status(case: Tamper, fake_model: None, index_copy: Path) -> None:
    """ask: one line naming `bot index --rebuild`, exit 1; status: that or its report."""
    case.apply(index_copy)
    result = invoke("ask", "--index-dir", index_copy, "--", "who runs the café on the quay?")
    if case.ask == "error" or result.exit_code != 0:
        assert_one_line_error(result, "bot index --rebuild")
    status = invoke("status", "--index-dir", index_copy)
    if status.exit_code != 0:
        assert_one_line_error(status, "bot index --rebuild")


@pytest.mark.parametrize("case", _tamper_params(lambda c: c.update_bug))
def test_tampered_index_update_then_rebuild(case: Tamper, fake_model: None, index_copy: Path, tmp_path: Path) -> None:
    """`bot index` with a new file: success or one line; then `bot index --rebuild PATHS` heals it."""
    sources = _roots(index_copy)[0]
    case.apply(index_copy)
    fresh = tmp_path / "more"
    fresh.mkdir()
    (fresh / "new.txt").write_text(_body("Groundhog Day"), encoding="utf-8")
    for args in (["index"], ["index", fresh]):
        result = invoke(*args, "--index-dir", index_copy)
        if result.exit_code != 0:
            assert_one_line_error(result)
    healed = invoke("index", "--rebuild", sources, fresh, "--index-dir", index_copy)
    if not case.heals:
        assert_one_line_error(healed)
        return
    assert healed.exit_code == 0, healed.output
    after = invoke("ask", "--index-dir", index_copy, "--", "who runs the café on the quay?")
    assert after.exit_code == 0 and "Zoë Ball" in after.stdout, after.output


def test_rebuild_as_advised_reuses_the_indexed_folders(fake_model: None, index_copy: Path) -> None:
    _flip_bytes("dense")(index_copy)
    result = invoke("index", "--rebuild", "--index-dir", index_copy)
    assert result.exit_code == 0, result.output
    assert invoke("ask", "who runs the café?", "--index-dir", index_copy).exit_code == 0


def test_an_index_in_the_old_format_is_refused_then_rebuilt(fake_model: None, tmp_path: Path) -> None:
    """Version 2 kept a manifest.json and generation folders: refused in one line, and
    `bot index --rebuild` starts from the folders that manifest recorded."""
    old = tmp_path / "old-index"
    (old / "gen-000003").mkdir(parents=True)
    news = write_articles(tmp_path / "old-news")
    (old / "manifest.json").write_text(json.dumps({"format_version": 2, "generation": 3, "roots": [str(news)]}))
    for args in (["ask", "who runs the café?"], ["status"], ["index"]):
        assert_one_line_error(invoke(*args, "--index-dir", old), "older version", "bot index --rebuild")
    rebuilt = invoke("index", "--rebuild", "--index-dir", old)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert not (old / "manifest.json").exists() and not (old / "gen-000003").exists()
    assert "Zoë Ball" in invoke("ask", "who runs the café on the quay?", "--index-dir", old).stdout


def test_an_index_of_format_7_is_read_as_it_is_and_upgraded_by_its_next_update(
    fake_model: None, index_copy: Path, tmp_path: Path
) -> None:
    """Format 7 had no recent copy bands or sentence keys: asked as it is, upgraded in place by
    the next `bot index`, whose new article is still found to be a near copy of a stored one."""
    store = _store(index_copy)
    for statement in (
        "DROP TABLE recent_lsh",
        "DROP TABLE recent_sentence_keys",
        "UPDATE meta SET value = '7' WHERE key = 'format_version'",
    ):
        _sql(statement)(index_copy)
    assert "Zoë Ball" in invoke("ask", "who runs the café on the quay?", "--index-dir", index_copy).stdout
    assert invoke("status", "--index-dir", index_copy).exit_code == 0
    source = next(path for path in _roots(index_copy)[0].iterdir() if "Zoë Ball" in path.read_text(encoding="utf-8"))
    more = tmp_path / "more"
    more.mkdir()
    (more / "copy.txt").write_text(source.read_text(encoding="utf-8").replace("Zoë Ball", "Zoe Ball"), encoding="utf-8")
    result = invoke("index", more, "--index-dir", index_copy)
    assert result.exit_code == 0, result.output
    connection = sqlite3.connect(store / "store.sqlite")
    try:
        (version,) = connection.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
        clusters = connection.execute(
            "SELECT count(DISTINCT cluster) FROM articles WHERE file IN (?, ?)", [str(source), str(more / "copy.txt")]
        ).fetchone()
        recent = connection.execute("SELECT count(*) FROM recent_lsh").fetchone()
    finally:
        connection.close()
    assert (version, clusters, recent) == ("8", (1,), (32,))


def test_open_reader_survives_updates_and_a_rebuild(index_copy: Path, tmp_path: Path, fake_info: ModelInfo) -> None:
    """A chat session keeps its Searcher open while other processes write updates and a rebuild."""
    from index.search.hybrid import search

    sources = _roots(index_copy)[0]
    reader = open_searcher(index_copy, FAKE)
    fresh = tmp_path / "more"
    fresh.mkdir()
    for n, rebuild in enumerate((False, False, True, False)):
        (fresh / f"new{n}.txt").write_text(_body(f"day {n}"), encoding="utf-8")
        update(index_copy, [sources, fresh], fake_info, lambda: FAKE, rebuild=rebuild)
    hits = search(reader, "who runs the café on the quay?", 3).hits
    assert hits and "Zoë Ball" in " ".join(h.text for h in hits)
    assert reader.refresh()
    assert len(search(reader, "ferry boats cross the fjord", 10).hits) >= 4


def test_status_does_not_nag_about_files_that_cannot_be_indexed(
    fake_model: None, index_copy: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(_body("Candlemas"), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    assert invoke("index", folder, "--index-dir", index_copy).exit_code == 0
    status = invoke("status", "--index-dir", index_copy)
    assert status.exit_code == 0
    assert "Warning" not in status.stdout, status.stdout
    again = invoke("index", "--index-dir", index_copy)
    assert again.exit_code == 0 and "empty.txt" not in again.stdout + again.stderr
    (folder / "empty.txt").write_text(_body("Lammas"), encoding="utf-8")
    assert "empty.txt" in invoke("status", "--index-dir", index_copy).stdout


def test_file_names_with_newlines_stay_on_one_line(fake_model: None, index_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "two\nlines.txt").write_bytes(b"")
    (folder / "bell\a.txt").write_text(_body("Whitsun"), encoding="utf-8")
    result = invoke("index", folder, "--index-dir", index_copy)
    assert result.exit_code == 0
    assert "skipped odd/two\\nlines.txt: " in result.stdout.splitlines()[0]
    (folder / "new\rone.txt").write_text(_body("Hogmanay"), encoding="utf-8")
    status = invoke("status", "--index-dir", index_copy).stdout
    assert "  new: odd/new\\rone.txt" in status.splitlines()
    answer_lines = invoke("ask", "what happened on Whitsun?", "--index-dir", index_copy).stdout.splitlines()
    assert any("odd/bell\\x07.txt ¶" in line for line in answer_lines)


def test_stale_lock_and_leftovers_do_not_block(fake_model: None, index_copy: Path, tmp_path: Path) -> None:
    (index_copy / "lock").write_text("pid 999999")
    orphan = _store(index_copy) / "segments" / "dense-000777.faiss"
    orphan.write_bytes(b"half written")
    stray = index_copy / "store-000999"
    stray.mkdir()
    (stray / "store.sqlite").write_bytes(b"half written")
    assert invoke("ask", "who runs the café?", "--index-dir", index_copy).exit_code == 0
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "new.txt").write_text(_body("Monday"), encoding="utf-8")
    assert invoke("index", folder, "--no-wait", "--index-dir", index_copy).exit_code == 0
    assert not orphan.exists() and not stray.exists()


# --- A. planted pickles are never loaded ------------------------------------------------------


class _Planted:
    """Unpickling this creates the marker file: proof that something loaded a pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


def _plant(index_dir: Path, marker: Path) -> None:
    store = _store(index_dir)
    payload = pickle.dumps(_Planted(marker))
    for folder in (index_dir, store, store / "segments", _part(index_dir, "bm25")):
        for name in ("index.pkl", "bm25.pkl", "dense.faiss.pkl", "params.pickle", "model.pt", "data.joblib"):
            (folder / name).write_bytes(payload)
    pickle.loads(payload).close()  # sanity: the payload really does create the marker when unpickled
    assert marker.exists()
    marker.unlink()


def test_planted_pickle_files_are_never_loaded(fake_model: None, index_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    _plant(index_copy, marker)
    fresh = tmp_path / "more"
    fresh.mkdir()
    (fresh / "new.txt").write_text(_body("Arbor Day"), encoding="utf-8")
    for args in (
        ["ask", "who runs the café?"],
        ["status"],
        ["index", fresh],
        ["ask", "ferry fares?", "--json"],
        ["index"],
    ):
        result = invoke(*args, "--index-dir", index_copy)
        assert result.exit_code == 0, result.output
        assert not marker.exists(), f"bot {args[0]} loaded a planted pickle"


def test_pickle_inside_a_numpy_array_is_refused(fake_model: None, index_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    array = np.empty(3, dtype=object)
    array[:] = [_Planted(marker)] * 3
    np.save(_part(index_copy, "bm25/chunk_ids.npy"), array, allow_pickle=True)
    assert_one_line_error(invoke("ask", "who runs the café?", "--index-dir", index_copy), "bot index --rebuild")
    invoke("index", "--index-dir", index_copy)
    assert not marker.exists()


def test_no_code_path_can_load_pickles() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for package in ("index", "bot")
        for path in (REPO / package).rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"pickle\.loads?\(|allow_pickle=True|torch\.load\(|joblib\.load\(|dill\.", line)
    ]
    assert not offenders


# --- A. properties of clean / normalise / units / split ----------------------------------------

WORDS = ["the", "minister", "said", "Zoë", "café", "2019", "€4m", "Łódź", "growth", "rose", "a", "x" * 30]
SEPARATORS = [
    " ",
    " ",
    " ",
    ". ",
    "! ",
    "? ",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\t",
    "  ",
    "\u00a0",
    "… ",
    '" ',
    "\x00",
    "\u200b",
]
article_text = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=400).map("".join)
any_text = st.one_of(st.text(max_size=300), article_text)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def words_plus_two(text: str) -> int:
    return len(text.split()) + 2


@PROPERTY
@given(any_text)
def test_normalise_properties(raw: str) -> None:
    text = normalise(raw)
    assert normalise(text) == text
    assert "\r" not in text and "\t" not in text and "\n\n\n" not in text
    assert text == text.strip()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)
    assert all(line == " ".join(line.split()) for line in text.split("\n"))


@PROPERTY
@given(any_text)
def test_units_are_slices_of_the_text(raw: str) -> None:
    text = normalise(raw)
    found = units(text)
    previous_end = 0
    for paragraph in found:
        assert paragraph.text == text[paragraph.start : paragraph.end]
        assert paragraph.text.strip() and "\n\n" not in paragraph.text
        assert paragraph.start >= previous_end
        previous_end = paragraph.end


@PROPERTY
@given(any_text, st.one_of(st.none(), st.text(max_size=40)))
def test_clean_keeps_offsets(raw: str, hint: str | None) -> None:
    cleaned = clean(raw, hint)
    assert cleaned.text == normalise(raw)
    assert isinstance(cleaned.title, str)
    for paragraph in cleaned.paragraphs:
        assert cleaned.text[paragraph.start : paragraph.end] == paragraph.text


@PROPERTY
@given(any_text, st.integers(min_value=8, max_value=80))
def test_split_gives_valid_chunks(raw: str, budget: int) -> None:
    cleaned = clean(raw)
    assume(words_plus_two(embed_text(cleaned.title, "x")) <= budget)
    chunks = split(cleaned, words_plus_two, budget)
    previous_end = 0
    for chunk in chunks:
        assert chunk.text == cleaned.text[chunk.start : chunk.end]
        assert chunk.text.strip()
        assert chunk.start >= previous_end and chunk.end > chunk.start
        assert words_plus_two(embed_text(cleaned.title, chunk.text)) <= budget
        previous_end = chunk.end
    covered = "".join(c.text for c in chunks)
    for paragraph in cleaned.paragraphs:  # no word of the kept paragraphs is lost
        for word in paragraph.text.split():
            assert word in covered or any(word.startswith(c.text.split()[-1]) for c in chunks if c.text.split())


@PROPERTY
@given(
    st.lists(st.sampled_from(WORDS[:-1]), min_size=1, max_size=3000).map(" ".join),
    st.integers(min_value=5, max_value=40),
)
def test_split_of_one_long_paragraph(body: str, budget: int) -> None:
    cleaned = Cleaned(body, "", units(body))
    chunks = split(cleaned, words_plus_two, budget)
    assert " ".join(c.text for c in chunks).split() == body.split()
    assert all(words_plus_two(c.text) <= budget for c in chunks)


@PROPERTY
@given(any_text, st.sampled_from(["", "Putin Urges Peace Talks"]))
def test_sentence_spans_land_on_the_same_words_in_the_encoder_text(raw: str, title: str) -> None:
    from index.text.sentences import sentences

    text = normalise(raw)
    spans = sentences(text)
    moved = embed_spans(title, text, spans)
    encoded = embed_text(title, text)
    assert [encoded[s:e].split() for s, e in moved] == [text[s:e].split() for s, e in spans]


# --- C. the benchmark script runs -------------------------------------------------------------


@pytest.mark.slow
def test_bench_quick_smoke(tmp_path: Path) -> None:
    """`scripts/bench.py --quick` runs end to end on a few articles and writes its table."""
    import subprocess

    out = tmp_path / "BENCH.md"
    corpus = write_articles(tmp_path / "news")
    for n in range(12):
        (corpus / f"extra{n}.txt").write_text(_body(f"day {n}") + f"\nThe count was {n}.\n", encoding="utf-8")
    env = {**os.environ, "BOT_CACHE_DIR": os.environ.get("BOT_CACHE_DIR") or str(tmp_path / "cache")}
    completed = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), "--quick", "--corpus", str(corpus), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    table = out.read_text()
    for row in ("index throughput", "bot ask", "bot --help", "warm query", "peak RSS", "FAISS flat"):
        assert row in table, table
