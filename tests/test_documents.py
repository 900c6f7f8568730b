"""Reading files: encodings, formats, and files that are not articles."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from index.ingest.decode import Unreadable, decode
from index.ingest.discover import SourceFile, discover
from index.ingest.read import read_articles


def source(path: Path) -> SourceFile:
    return SourceFile(str(path), path.name)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("Café in Zürich costs £3".encode(), "Café in Zürich costs £3"),
        ("Café in Zürich costs £3, said the owner of a latin-1 file".encode("latin-1"), None),
        ("\ufeffBOM café".encode("utf-8"), "BOM café"),
        ("UTF-16 café".encode("utf-16"), "UTF-16 café"),
    ],
)
def test_decoding(data: bytes, text: str | None) -> None:
    decoded = decode(data)
    if text is not None:
        assert decoded == text
    else:
        assert decoded.startswith("Café in Zürich costs £3")


def test_cp1252_quotes_become_real_quotes() -> None:
    data = "He said \u201cno\u201d to the plan, and the café closed on Sunday evening for good.".encode("cp1252")
    assert "\u201cno\u201d" in decode(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"  \n\n ", "empty file"), (bytes(range(256)) * 20, "binary file")],
)
def test_not_articles(data: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        decode(data)


def test_html_keeps_headline_and_body(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>Bridge reopens after repairs</title><script>var x=1;</script></head>"
        "<body><nav>Home | News | Sport</nav><article><h1>Bridge reopens after repairs</h1>"
        "<p>The old bridge over the river reopened on Tuesday after two years of repairs costing millions.</p>"
        "<p>Engineers replaced the steel cables and strengthened the stone piers against floods.</p>"
        "</article><footer>Subscribe to our newsletter</footer></body></html>",
        encoding="utf-8",
    )
    article = read_articles(source(page)).articles[0]
    assert article.metadata.title == "Bridge reopens after repairs"
    assert "Engineers replaced the steel cables" in article.text
    assert "var x" not in article.text
    assert ("Home | News | Sport", "page furniture (not part of the article body)") in article.dropped


def test_html_without_text_is_skipped(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><head><script>alert(1)</script></head><body></body></html>", encoding="utf-8")
    with pytest.raises(Unreadable, match="no article text"):
        read_articles(source(page))


def test_discover_skips_other_files_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.md").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "draft.txt~").write_text("x")
    (tmp_path / ".a.txt.swp").write_text("x")
    found = discover([tmp_path])
    assert [f.display for f in found.files] == [f"{tmp_path.name}/a.txt", f"{tmp_path.name}/sub/c.md"]
    assert [(f.path.name, r) for f, r in found.skipped] == [
        ("b.pdf", "not an article file (.txt, .md, .html, .rss, .atom, .xml)")
    ]


def test_bad_files_never_stop_the_others(tmp_path: Path, isolated_dirs: Path, real_encoder) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(
        "Harbour expands\n\nThe harbour authority opened a new container terminal on Monday.", encoding="utf-8"
    )
    (folder / "latin.txt").write_bytes(
        "Café prices rise\n\nThe price of a café crème in Paris rose to 3 euros this year.".encode("latin-1")
    )
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 50)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.txt").write_bytes(b"Valid start \xff\xfe\xfa then junk \x00\x00" * 3)
    result = CliRunner().invoke(app, ["index", str(folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "skipped mixed/binary.txt: binary file or unknown encoding" in lines
    assert "skipped mixed/empty.txt: empty file" in lines
    assert lines[-1].startswith("Indexed: ")
    answer = CliRunner().invoke(app, ["ask", "How much is a café crème in Paris?", "--json"])
    assert "café crème" in answer.output
