"""Incremental updates with a fake encoder: only new or changed text is embedded, saves are atomic."""

from dataclasses import replace
from pathlib import Path

import pytest

from bot.answer import answer
from index import dense, manifest
from index.errors import IndexNotFound, ModelMismatch, SaveFailed
from index.search import Settings, search
from index.store import open_index
from index.update import update

from conftest import FakeEncoder

ARTICLE = """{title}

{body} The minister spoke on Monday about the plan in detail.

Officials said the talks would continue next week in the capital city.
"""


def write(folder: Path, name: str, title: str, body: str) -> Path:
    path = folder / name
    path.write_text(ARTICLE.format(title=title, body=body), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    write(folder, "a.txt", "Harvest festival opens", "Farmers brought pumpkins to the harvest festival.")
    write(folder, "b.txt", "Railway strike ends", "Train drivers ended their strike after a pay deal.")
    return folder


def run(index_dir: Path, paths: list[Path], info, encoder: FakeEncoder, **options):  # noqa: ANN001, ANN201
    return update(index_dir, paths, info, lambda: encoder, **options)


def test_adding_a_file_embeds_only_its_chunks(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    first = FakeEncoder()
    report = run(isolated_dirs, [corpus], fake_info, first)
    assert (report.added, report.chunks_total) == (2, 4)
    write(corpus, "c.txt", "Museum reopens", "The city museum reopened with a dinosaur exhibition.")
    second = FakeEncoder()
    report = run(isolated_dirs, [], fake_info, second)
    assert (report.added, report.unchanged, report.chunks_embedded) == (1, 2, 2)
    assert all(text.startswith("Museum reopens. ") for text in second.embedded)
    assert open_index(isolated_dirs).manifest.chunk_count() == 6


def test_changing_a_file_reembeds_only_its_new_text(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    write(corpus, "b.txt", "Railway strike ends", "Train drivers ended the walkout after a new pay offer.")
    encoder = FakeEncoder()
    report = run(isolated_dirs, [], fake_info, encoder)
    assert (report.changed, report.unchanged, report.chunks_embedded) == (1, 1, 1)
    assert encoder.embedded == [
        "Railway strike ends. Train drivers ended the walkout after a new pay offer. "
        "The minister spoke on Monday about the plan in detail."
    ]
    index = open_index(isolated_dirs)
    hits = search(index, encoder, "walkout pay offer", k=1).hits
    assert hits[0].path == "news/b.txt"


def test_reused_passages_keep_their_sentence_vectors(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    before = open_index(isolated_dirs)
    ids = before.manifest.files[str(corpus / "b.txt")].chunk_ids
    kept = {row.text: before.sentences([i])[i] for i, row in before.chunks(ids).items()}
    write(corpus, "b.txt", "Railway strike ends", "Train drivers ended the walkout after a new pay offer.")
    run(isolated_dirs, [], fake_info, FakeEncoder())
    after = open_index(isolated_dirs)
    rows = after.chunks(after.manifest.files[str(corpus / "b.txt")].chunk_ids)
    reused = [i for i, row in rows.items() if row.text in kept]
    assert len(reused) == 1
    spans, vectors = after.sentences(reused)[reused[0]]
    old_spans, old_vectors = kept[rows[reused[0]].text]
    assert spans.tolist() == old_spans.tolist() == [[0, len(rows[reused[0]].text)]]
    assert (vectors == old_vectors).all()


def test_deleting_a_file_removes_its_chunks(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    (corpus / "a.txt").unlink()
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert (report.removed, report.chunks_total) == (1, 2)
    index = open_index(isolated_dirs)
    texts = [row[0] for row in index.catalog.execute("SELECT text FROM chunks")]
    assert not any("pumpkins" in t for t in texts)
    assert index.dense.ntotal == 2


def test_nothing_changed_does_not_load_the_model(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    generation = open_index(isolated_dirs).manifest.generation

    def no_model() -> FakeEncoder:
        raise AssertionError("the model was loaded")

    report = update(isolated_dirs, [], fake_info, no_model)
    assert report.up_to_date
    assert open_index(isolated_dirs).manifest.generation == generation


def test_identical_copies_are_indexed_once(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    (corpus / "copy.txt").write_bytes((corpus / "a.txt").read_bytes())
    report = run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    assert (report.documents, report.duplicates, report.chunks_total) == (2, 1, 4)
    (corpus / "a.txt").unlink()
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert report.chunks_total == 4
    files = open_index(isolated_dirs).manifest.files
    assert files[str(corpus / "copy.txt")].duplicate_of is None


def test_failure_during_save_keeps_the_old_index(
    corpus: Path, isolated_dirs: Path, fake_info, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    encoder = FakeEncoder()
    run(isolated_dirs, [corpus], fake_info, encoder)
    before = answer(open_index(isolated_dirs), encoder, "Who ended their strike?")
    write(corpus, "c.txt", "Museum reopens", "The city museum reopened with a dinosaur exhibition.")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dense, "write", disk_full)
    with pytest.raises(SaveFailed, match="No space left on device.*previous index is intact"):
        run(isolated_dirs, [], fake_info, FakeEncoder())
    monkeypatch.undo()
    index = open_index(isolated_dirs)
    assert index.manifest.chunk_count() == 4
    assert answer(index, encoder, "Who ended their strike?") == before
    assert not list(isolated_dirs.glob("*.tmp"))
    assert run(isolated_dirs, [], fake_info, FakeEncoder()).added == 1


def test_index_from_another_model_is_refused(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    other = fake_info.__class__(fake_info.path, "other-model", 32, 64, "mean_tokens", True)
    with pytest.raises(ModelMismatch, match="--rebuild"):
        run(isolated_dirs, [], other, FakeEncoder())
    assert manifest.read(isolated_dirs).encoder_name == "fake"


def test_rebuild_starts_over(corpus: Path, isolated_dirs: Path, fake_info) -> None:  # noqa: ANN001
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    encoder = FakeEncoder()
    report = run(isolated_dirs, [], fake_info, encoder, rebuild=True)
    assert (report.added, report.chunks_embedded) == (2, 4)


def test_no_index_yet(isolated_dirs: Path) -> None:
    with pytest.raises(IndexNotFound, match="bot index PATH"):
        open_index(isolated_dirs)


def test_a_passage_holding_the_answer_sentence_outranks_a_diluted_match(
    tmp_path: Path, isolated_dirs: Path, fake_info  # noqa: ANN001
) -> None:
    """The sentence rerank: one sentence saying exactly what was asked beats a passage that
    matches as a whole (dense only here, so BM25 cannot decide it)."""
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "notes.txt").write_text(
        "City council weekly notes\n\nThe council met on Monday to discuss parking fees, the library "
        "budget, school meals, park benches and street lights. When did the old bridge reopen to "
        "traffic? It did so on Tuesday. Members also debated the museum roof and bus shelters.\n"
    )
    (folder / "plans.txt").write_text(
        "Bridge traffic plans\n\nThe old bridge is closed. Engineers hope to reopen it. Traffic will "
        "rise. The old bridge needs traffic lights before traffic can return to the old bridge.\n"
    )
    encoder = FakeEncoder()
    run(isolated_dirs, [folder], fake_info, encoder)
    index = open_index(isolated_dirs)
    question = "When did the old bridge reopen to traffic?"
    dense_only = Settings(lexical_weight=0.0, sentence_weight=0.0)
    assert search(index, encoder, question, 2, dense_only).hits[0].path == "news/plans.txt"
    reranked = replace(dense_only, sentence_weight=Settings().sentence_weight)
    assert search(index, encoder, question, 2, reranked).hits[0].path == "news/notes.txt"
