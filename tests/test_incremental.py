"""Incremental updates with a fake encoder: only new or changed text is embedded, commits are
atomic, interrupted runs keep their work, deleted articles never answer again."""

import os
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FakeEncoder, fake_model, open_searcher

from bot.answer import answer
from index.errors import IndexNotFound, ModelMismatch, SaveFailed
from index.indexer import changes as changes_module
from index.indexer import segments
from index.indexer import update as update_module
from index.indexer.update import Interrupted, update
from index.ingest import decode
from index.search.hybrid import Settings, search
from index.search.searcher import Searcher
from index.store import codec, layout, writer

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


def run(index_dir: Path, paths: list[Path], info, encoder: FakeEncoder, **options):
    return update(index_dir, paths, info, lambda: encoder, **options)


def texts(index_dir: Path) -> list[str]:
    searcher = Searcher.open(index_dir, load_model=False)
    try:
        return [codec.unpack_text(row[0]) for row in searcher.connection.execute("SELECT text FROM chunks ORDER BY id")]
    finally:
        searcher.close()


def test_adding_a_file_embeds_only_its_chunks(corpus: Path, isolated_dirs: Path, fake_info) -> None:
    report = run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    assert (report.added, report.chunks_total) == (2, 4)
    write(corpus, "c.txt", "Museum reopens", "The city museum reopened with a dinosaur exhibition.")
    second = FakeEncoder()
    report = run(isolated_dirs, [], fake_info, second)
    assert (report.added, report.unchanged, report.chunks_embedded) == (1, 2, 2)
    assert all(text.startswith("Museum reopens. ") for text in second.embedded)
    assert len(texts(isolated_dirs)) == 6


def test_changing_a_file_reembeds_only_its_new_text(corpus: Path, isolated_dirs: Path, fake_info) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    write(corpus, "b.txt", "Railway strike ends", "Train drivers ended the walkout after a new pay offer.")
    encoder = FakeEncoder()
    report = run(isolated_dirs, [], fake_info, encoder)
    assert (report.changed, report.unchanged, report.chunks_embedded) == (1, 1, 1)
    assert encoder.embedded == [
        "Railway strike ends. Train drivers ended the walkout after a new pay offer. "
        "The minister spoke on Monday about the plan in detail."
    ]
    hits = search(open_searcher(isolated_dirs, encoder), "walkout pay offer", k=1).hits
    assert hits[0].path == "news/b.txt"


def test_reused_passages_keep_their_sentence_vectors(corpus: Path, isolated_dirs: Path, fake_info) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    before = open_searcher(isolated_dirs, FakeEncoder())
    ids = [
        r[0]
        for r in before.connection.execute(
            "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article WHERE a.display = 'news/b.txt'"
        )
    ]
    kept = {row.text: before.sentences([i])[i] for i, row in before.chunks(ids).items()}
    write(corpus, "b.txt", "Railway strike ends", "Train drivers ended the walkout after a new pay offer.")
    run(isolated_dirs, [], fake_info, FakeEncoder())
    after = open_searcher(isolated_dirs, FakeEncoder())
    ids = [
        r[0]
        for r in after.connection.execute(
            "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article WHERE a.display = 'news/b.txt'"
        )
    ]
    rows = after.chunks(ids)
    reused = [i for i, row in rows.items() if row.text in kept]
    assert len(reused) == 1
    spans, vectors = after.sentences(reused)[reused[0]]
    old_spans, old_vectors = kept[rows[reused[0]].text]
    assert spans.tolist() == old_spans.tolist() == [[0, len(rows[reused[0]].text)]]
    assert (vectors == old_vectors).all()


def test_deleting_a_file_removes_its_chunks(corpus: Path, isolated_dirs: Path, fake_info) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    (corpus / "a.txt").unlink()
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert (report.removed, report.chunks_total) == (1, 2)
    assert not any("pumpkins" in t for t in texts(isolated_dirs))
    hits = search(open_searcher(isolated_dirs, FakeEncoder()), "pumpkins harvest festival", k=5).hits
    assert all("pumpkins" not in h.text for h in hits)


def test_deleting_every_file_leaves_an_empty_index_that_never_answers(
    corpus: Path, isolated_dirs: Path, fake_info
) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    for path in corpus.iterdir():
        path.unlink()
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert (report.removed, report.documents, report.chunks_total) == (2, 0, 0)
    result = answer(open_searcher(isolated_dirs, FakeEncoder()), "Who brought pumpkins to the festival?")
    assert result.abstained and not result.sources


def folder_rows(index_dir: Path) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(the folders table, the same recomputed from the files table)."""
    from index.store import folders

    searcher = Searcher.open(index_dir, load_model=False)
    try:
        rows = searcher.connection.execute("SELECT path, size, mtime_ns, state FROM files").fetchall()
        stored = folders.known(searcher.connection)
    finally:
        searcher.close()
    by_folder: dict[str, list[tuple[str, int, int, str]]] = {}
    for row in rows:
        by_folder.setdefault(os.path.dirname(row[0]), []).append(row)
    expected = {
        folder: (
            folders.signature((os.path.basename(p), size, mtime) for p, size, mtime, _ in held),
            sum(state == "indexed" for *_, state in held),
        )
        for folder, held in by_folder.items()
    }
    return stored, expected


def test_an_update_passes_over_unchanged_folders_yet_sees_every_change(
    corpus: Path, isolated_dirs: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folder signatures (store.folders): a no-op reads no file rows; an edit that keeps the size,
    a deletion, an addition and a new exclusion are each still seen."""
    from index.store import folders

    (corpus / "sub").mkdir()
    write(corpus / "sub", "c.txt", "Museum reopens", "The city museum reopened with a dinosaur exhibition.")
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4")
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    loaded: list[set[str]] = []
    real = folders.files_in
    monkeypatch.setattr(folders, "files_in", lambda c, names: loaded.append(set(names)) or real(c, names))
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert report.up_to_date and report.unchanged == 3 and loaded == [set()]
    stat = (corpus / "a.txt").stat()
    os.utime(corpus / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert not report.up_to_date and loaded[-1] == {str(corpus)}
    (corpus / "sub" / "c.txt").unlink()
    assert run(isolated_dirs, [], fake_info, FakeEncoder()).removed == 1
    write(corpus / "sub", "d.txt", "Bridge opens", "The old bridge reopened to traffic on Tuesday.")
    assert run(isolated_dirs, [], fake_info, FakeEncoder()).added == 1
    (corpus / ".botignore").write_text("b.txt\n")
    assert run(isolated_dirs, [], fake_info, FakeEncoder()).removed == 1
    stored, expected = folder_rows(isolated_dirs)
    assert stored == expected and set(stored) == {str(corpus), str(corpus / "sub")}
    assert run(isolated_dirs, [], fake_info, FakeEncoder()).up_to_date


def test_two_folders_of_one_name_are_indexed_together(tmp_path: Path, isolated_dirs: Path, fake_info) -> None:
    """Their files share display paths ("news/a.txt"), not identities."""
    first, second = tmp_path / "one" / "news", tmp_path / "two" / "news"
    for folder, body in ((first, "Farmers brought pumpkins to the fair."), (second, "Drivers ended the strike.")):
        folder.mkdir(parents=True)
        write(folder, "a.txt", "Local news", body)
    report = run(isolated_dirs, [first, second], fake_info, FakeEncoder())
    assert (report.added, report.documents) == (2, 2)
    searcher = Searcher.open(isolated_dirs, load_model=False)
    try:
        rows = searcher.connection.execute("SELECT key, display FROM articles ORDER BY key").fetchall()
    finally:
        searcher.close()
    assert rows == [(str(first / "a.txt"), "news/a.txt"), (str(second / "a.txt"), "news/a.txt")]


def test_a_deleted_or_changed_article_leaves_no_copy_bands_or_sentence_keys(
    corpus: Path, isolated_dirs: Path, fake_info
) -> None:
    """The trees are emptied by primary key, from the article's stored signature and keys, and
    the recent rows by article, so what is left must be exactly the live articles' rows."""
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    write(corpus, "b.txt", "Railway strike ends", "Train drivers ended the walkout after a new pay offer.")
    (corpus / "a.txt").unlink()
    run(isolated_dirs, [], fake_info, FakeEncoder())
    searcher = Searcher.open(isolated_dirs, load_model=False)
    try:
        db = searcher.connection
        (article,) = [row[0] for row in db.execute("SELECT id FROM articles")]
        bands = "SELECT band, hash, article FROM lsh UNION ALL SELECT band, hash, article FROM recent_lsh"
        keys = "SELECT key, article FROM sentence_keys UNION ALL SELECT key, article FROM recent_sentence_keys"
        assert {row[2] for row in db.execute(bands)} == {article}
        assert len(db.execute(bands).fetchall()) == 32
        assert {row[1] for row in db.execute(keys)} == {article}
    finally:
        searcher.close()


@pytest.mark.parametrize("contents", [{}, {"report.pdf": b"%PDF-1.4", "notes.docx": b"PK\x03\x04"}])
def test_a_folder_without_articles_gives_a_valid_empty_index(
    tmp_path: Path, isolated_dirs: Path, fake_info, contents: dict
) -> None:
    folder = tmp_path / "nothing"
    folder.mkdir()
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    report = run(isolated_dirs, [folder], fake_info, FakeEncoder())
    assert (report.documents, report.chunks_total) == (0, 0)
    assert [reason for _, reason in report.skipped] == [
        "not an article file (.txt, .md, .html, .rss, .atom, .xml)"
    ] * len(contents)
    again = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert again.up_to_date and not again.skipped  # skipped files are remembered, not repeated
    assert answer(open_searcher(isolated_dirs, FakeEncoder()), "anything at all?").abstained


def test_nothing_changed_does_not_load_the_model_or_write(corpus: Path, isolated_dirs: Path, fake_info) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    generation = Searcher.open(isolated_dirs, load_model=False).generation

    def no_model() -> FakeEncoder:
        raise AssertionError("the model was loaded")

    report = update(isolated_dirs, [], fake_info, no_model)
    assert report.up_to_date
    assert Searcher.open(isolated_dirs, load_model=False).generation == generation


def test_identical_copies_are_indexed_once(corpus: Path, isolated_dirs: Path, fake_info) -> None:
    (corpus / "copy.txt").write_bytes((corpus / "a.txt").read_bytes())
    report = run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    assert (report.documents, report.duplicates, report.chunks_total) == (2, 1, 4)
    (corpus / "a.txt").unlink()
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert report.chunks_total == 4
    searcher = Searcher.open(isolated_dirs, load_model=False)
    row = searcher.connection.execute(
        "SELECT duplicate_of, passages FROM articles WHERE display = 'news/copy.txt'"
    ).fetchone()
    assert row == (None, 2)


def test_an_edit_made_while_indexing_is_not_lost(
    corpus: Path, isolated_dirs: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file changes after it was read and before the commit: the next run reads it again."""
    real_read = decode.read_file

    def read_then_edit(path: Path) -> decode.Read:
        read = real_read(path)
        if path.name == "b.txt":
            write(corpus, "b.txt", "Railway strike ends", "Drivers returned to work on Tuesday morning.")
            os.utime(path, ns=(read.mtime_ns + 10**9, read.mtime_ns + 10**9))
        return read

    monkeypatch.setattr(changes_module, "read_file", read_then_edit)
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    monkeypatch.undo()
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert report.changed == 1 and not report.up_to_date
    assert any("returned to work on Tuesday" in t for t in texts(isolated_dirs))


class _Stop(KeyboardInterrupt):
    pass


def test_an_interrupted_first_index_keeps_what_was_embedded(
    tmp_path: Path, isolated_dirs: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(40):
        write(folder, f"{n:02d}.txt", f"Story number {n}", f"Event {n} happened in town {n} with {n} people.")
    monkeypatch.setattr("index.indexer.process.EMBED_BATCH", 10)
    encoder = FakeEncoder()
    calls = {"n": 0}
    real = encoder.embed_passages

    def interrupt_halfway(texts, spans):
        calls["n"] += 1
        if calls["n"] == 5:
            raise _Stop()
        return real(texts, spans)

    monkeypatch.setattr(encoder, "embed_passages", interrupt_halfway)
    with pytest.raises(Interrupted) as stopped:
        run(isolated_dirs, [folder], fake_info, encoder)
    assert stopped.value.report.chunks_embedded == 40
    with pytest.raises(IndexNotFound):
        Searcher.open(isolated_dirs, load_model=False)
    rest = FakeEncoder()
    report = run(isolated_dirs, [folder], fake_info, rest)
    assert report.chunks_total == 80 and report.chunks_embedded == 40  # 40 of 80 were kept


def _many(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(count):
        write(folder, f"{n:02d}.txt", f"Story number {n}", f"Event {n} happened in town {n} with {n} people.")
    return folder


def _catalog(index_dir: Path) -> list[tuple]:
    searcher = Searcher.open(index_dir, load_model=False)
    try:
        return searcher.connection.execute(
            "SELECT a.display, a.story, a.cluster, c.paragraph, c.text FROM chunks c JOIN articles a"
            " ON a.id = c.article ORDER BY a.display, c.start"
        ).fetchall()
    finally:
        searcher.close()


def test_recent_copy_bands_and_sentence_keys_find_what_folded_ones_do(
    tmp_path: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions of a story and near copies are recognised alike whether the earlier articles'
    rows were folded into the trees at every update or are all still recent."""
    shared = "The council voted to close the old bridge to traffic. Repairs will take a year."
    steps = [
        ("a.txt", "Bridge closes", f"{shared} Drivers face long detours through the town centre."),
        ("b.txt", "Bridge closes, update", f"{shared} Shops on the quay fear a quiet winter ahead."),
        ("c.txt", "Bridge closes", f"{shared} Drivers face long detours through the town centre!"),
        ("d.txt", "Harvest festival", "Farmers brought pumpkins and cider to the square on Sunday."),
    ]
    outcomes = {}
    for most in (0, 10**9):
        monkeypatch.setattr(writer, "RECENT_ROWS", most)
        folder, index_dir = tmp_path / str(most) / "news", tmp_path / str(most) / "index"
        folder.mkdir(parents=True)
        (folder / "first.txt").write_text("Budget day\n\nThe chancellor set out plans for schools.\n", encoding="utf-8")
        run(index_dir, [folder], fake_info, FakeEncoder())
        for name, title, body in steps:  # not write(): its sentences common to all make one story
            (folder / name).write_text(f"{title}\n\n{body}\n", encoding="utf-8")
            run(index_dir, [folder], fake_info, FakeEncoder())
        (folder / "first.txt").unlink()
        run(index_dir, [folder], fake_info, FakeEncoder())
        searcher = Searcher.open(index_dir, load_model=False)
        try:
            db = searcher.connection
            recent = sum(db.execute(f"SELECT count(*) FROM recent_{t}").fetchone()[0] for t in ("lsh", "sentence_keys"))
            groups = dict(db.execute("SELECT display, story || '/' || cluster FROM articles").fetchall())
        finally:
            searcher.close()
        outcomes[most] = (_catalog(index_dir), groups)
        assert (recent == 0) == (most == 0)
    (catalog_folded, groups), (catalog_recent, groups_recent) = outcomes[0], outcomes[10**9]
    assert catalog_folded == catalog_recent and groups == groups_recent
    story = {name: value.split("/")[0] for name, value in groups.items()}
    cluster = {name: value.split("/")[1] for name, value in groups.items()}
    assert story["news/a.txt"] == story["news/b.txt"] != story["news/d.txt"]  # versions of one story
    assert cluster["news/a.txt"] == cluster["news/c.txt"] != cluster["news/b.txt"]  # near copies


def test_a_first_build_in_batches_equals_one_in_a_single_batch(
    tmp_path: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _many(tmp_path, 12)
    write(folder, "copy.txt", "Story number 3", "Event 3 happened in town 3 with 3 people.")  # a copy, batch 2
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    run(whole, [folder], fake_info, FakeEncoder())
    monkeypatch.setattr(update_module, "BUILD_BATCH", 5)
    encoder = FakeEncoder()
    report = run(batched, [folder], fake_info, encoder)
    assert (report.added, report.chunks_total) == (13, 24)
    assert _catalog(batched) == _catalog(whole)


def test_a_sentence_in_many_stored_articles_does_not_load_them(
    tmp_path: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Site furniture shared by every article: later batches count its holders, never load them,
    and the index equals one built in a single batch."""
    from index.indexer import plan as plan_module
    from index.store import state
    from index.text.repeats import sentence_key

    line = "Follow our live coverage of every story on this page."
    folder = tmp_path / "site"
    folder.mkdir()
    for n in range(12):
        write(folder, f"{n:02d}.txt", f"Story number {n}", f"Event {n} happened in town {n} with {n} people.\n\n{line}")
    monkeypatch.setattr(plan_module, "MAX_HOLDERS", 3)
    whole, batched = tmp_path / "whole", tmp_path / "batched"
    run(whole, [folder], fake_info, FakeEncoder())
    asked: list[set[int]] = []
    real = state.key_holders

    def recording(connection, keys):
        asked.append(set(keys))
        return real(connection, keys)

    monkeypatch.setattr(state, "key_holders", recording)
    monkeypatch.setattr(update_module, "BUILD_BATCH", 5)
    run(batched, [folder], fake_info, FakeEncoder())
    furniture = sentence_key(line)
    assert asked and not any(furniture in keys for keys in asked[2:])  # batch 1 stored 5 holders
    assert _catalog(batched) == _catalog(whole)


def test_a_batched_first_build_ends_as_one_segment_without_dead_chunks(
    tmp_path: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before it is switched in, the batches' segments are merged into one, without the dead
    chunks of articles chunked again when later batches repeated their sentences."""
    towns = ["Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir"]
    trades = ["bakers", "weavers", "potters", "masons", "tailors", "cobblers"]
    trades += ["glaziers", "smiths", "drovers", "thatchers", "coopers", "tanners"]
    animals = ["otters", "herons", "badgers", "foxes", "owls", "hares", "voles", "stoats", "wrens", "newts", "moles"]
    animals += ["finches"]
    folder = tmp_path / "site"
    folder.mkdir()
    for n, (trade, animal) in enumerate(zip(trades, animals)):  # article n repeats a sentence of article n - 6
        body = "\n\n".join(
            [
                f"The {trade} of the valley opened a market beside the river today.",
                f"Visitors watched {animal} from a bridge built long ago by hand.",
                f"Stalls of {trade} sold bread and cloth to {animal} lovers from afar.",
                f"Later the {animal} hid while {trade} packed their carts at dusk.",
                f"The mayor of {towns[n % 6]} thanked every volunteer who came.",
            ]
        )
        (folder / f"{n:02d}.txt").write_text(f"Story of {trade} and {animal}\n\n{body}\n", encoding="utf-8")
    monkeypatch.setattr(update_module, "BUILD_BATCH", 5)

    def segments_and_dead(index_dir: Path) -> tuple[int, int, bool]:
        store = layout.current(index_dir)
        connection = sqlite3.connect(store / layout.DATABASE)
        try:
            (count,), (dead,) = (
                connection.execute(sql).fetchone()
                for sql in ("SELECT count(*) FROM segments", "SELECT count(*) FROM tombstones")
            )
            live = {name for (i,) in connection.execute("SELECT id FROM segments") for name in segments.files_of(i)}
        finally:
            connection.close()
        return count, dead, {p.name for p in (store / layout.SEGMENTS).iterdir()} == live

    as_batched = tmp_path / "as-batched"
    with monkeypatch.context() as patched:
        patched.setattr(update_module, "_optimise", lambda store: None)
        run(as_batched, [folder], fake_info, FakeEncoder())
    count, dead, _ = segments_and_dead(as_batched)
    assert count > 1 and dead > 0  # what the last step has to do
    run(tmp_path / "index", [folder], fake_info, FakeEncoder())
    assert segments_and_dead(tmp_path / "index") == (1, 0, True)
    assert _catalog(tmp_path / "index") == _catalog(as_batched)


def test_an_interrupted_batched_first_build_keeps_its_committed_batches(
    tmp_path: Path, isolated_dirs: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _many(tmp_path, 12)
    monkeypatch.setattr(update_module, "BUILD_BATCH", 5)
    encoder = FakeEncoder()
    real = encoder.embed_passages

    def stop_in_the_third_batch(texts, spans):
        if any("town 10 " in text or "town 11 " in text for text in texts):
            raise _Stop()
        return real(texts, spans)

    monkeypatch.setattr(encoder, "embed_passages", stop_in_the_third_batch)
    with pytest.raises(Interrupted):
        run(isolated_dirs, [folder], fake_info, encoder)
    with pytest.raises(IndexNotFound):  # nothing is shown before the build is whole
        Searcher.open(isolated_dirs, load_model=False)
    rest = FakeEncoder()
    report = run(isolated_dirs, [folder], fake_info, rest)
    assert (report.unchanged, report.added, report.chunks_total) == (10, 2, 24)
    assert report.chunks_embedded == 4


def test_an_interrupted_update_leaves_the_previous_index(
    corpus: Path, isolated_dirs: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    before = texts(isolated_dirs)
    for n in range(30):
        write(corpus, f"new{n}.txt", f"Fresh story {n}", f"Something new number {n} happened today.")
    monkeypatch.setattr("index.indexer.process.EMBED_BATCH", 10)
    encoder = FakeEncoder()
    calls = {"n": 0}
    real = encoder.embed_passages

    def interrupt(texts, spans):
        calls["n"] += 1
        if calls["n"] == 4:
            raise _Stop()
        return real(texts, spans)

    monkeypatch.setattr(encoder, "embed_passages", interrupt)
    with pytest.raises(Interrupted):
        run(isolated_dirs, [], fake_info, encoder)
    assert texts(isolated_dirs) == before
    report = run(isolated_dirs, [], fake_info, FakeEncoder())
    assert report.chunks_embedded == 60 - 30 and report.chunks_total == 64


def test_failure_during_save_keeps_the_old_index(
    corpus: Path, isolated_dirs: Path, fake_info, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = FakeEncoder()
    run(isolated_dirs, [corpus], fake_info, encoder)
    before = answer(open_searcher(isolated_dirs, encoder), "Who ended their strike?")
    write(corpus, "c.txt", "Museum reopens", "The city museum reopened with a dinosaur exhibition.")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(segments, "write", disk_full)
    with pytest.raises(SaveFailed, match="No space left on device.*previous index is intact"):
        run(isolated_dirs, [], fake_info, FakeEncoder())
    monkeypatch.undo()
    assert len(texts(isolated_dirs)) == 4
    assert answer(open_searcher(isolated_dirs, encoder), "Who ended their strike?") == before
    assert run(isolated_dirs, [], fake_info, FakeEncoder()).added == 1


def test_index_from_another_model_is_refused(corpus: Path, isolated_dirs: Path, fake_info, tmp_path: Path) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    other = fake_model(tmp_path / "other-model", "other-model")
    with pytest.raises(ModelMismatch, match="--rebuild"):
        run(isolated_dirs, [], other, FakeEncoder())
    same_name = fake_model(tmp_path / "renamed" / "fake", "fake")
    (same_name.path / "weights.txt").write_text("different weights")
    with pytest.raises(ModelMismatch):  # a folder of the same name is not the same model
        run(isolated_dirs, [], replace(same_name), FakeEncoder())
    assert Searcher.open(isolated_dirs, load_model=False).meta.encoder_name == "fake"


def test_rebuild_starts_over(corpus: Path, isolated_dirs: Path, fake_info) -> None:
    run(isolated_dirs, [corpus], fake_info, FakeEncoder())
    first = layout.current(isolated_dirs)
    encoder = FakeEncoder()
    report = run(isolated_dirs, [], fake_info, encoder, rebuild=True)
    assert (report.added, report.chunks_embedded) == (2, 4)
    assert layout.current(isolated_dirs) != first and not first.exists()


def test_no_index_yet(isolated_dirs: Path) -> None:
    with pytest.raises(IndexNotFound, match="bot index PATH"):
        Searcher.open(isolated_dirs)


def test_many_small_updates_merge_their_segments(tmp_path: Path, isolated_dirs: Path, fake_info) -> None:
    folder = tmp_path / "stream"
    folder.mkdir()
    for n in range(segments.MAX_SEGMENTS + 4):
        write(folder, f"{n:02d}.txt", f"Bulletin {n}", f"Item {n}: the river rose by {n} centimetres overnight.")
        run(isolated_dirs, [folder], fake_info, FakeEncoder())
    searcher = Searcher.open(isolated_dirs, load_model=False)
    assert len(searcher.dense) <= segments.MAX_SEGMENTS
    assert sum(s.size for s in searcher.dense) == len(texts(isolated_dirs)) == 2 * (segments.MAX_SEGMENTS + 4)


def test_a_passage_holding_the_answer_sentence_outranks_a_diluted_match(
    tmp_path: Path, isolated_dirs: Path, fake_info
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
    searcher = open_searcher(isolated_dirs, encoder)
    question = "When did the old bridge reopen to traffic?"
    dense_only = Settings(mode="dense")
    assert search(searcher, question, 2, dense_only, disabled=frozenset({"ranker"})).hits[0].path == "news/plans.txt"
    assert search(searcher, question, 2, dense_only).hits[0].path == "news/notes.txt"


def test_update_module_has_no_stray_state() -> None:
    assert not hasattr(update_module, "_STATE")


def test_an_article_chunked_with_its_own_sentences_counts_is_chunked_as_with_all() -> None:
    """A Ray worker gets only the repetition counts of the article's own sentences: the same cleaning."""
    from index.indexer.process import ToChunk, chunk_article
    from index.text.normalise import normalise
    from index.text.repeats import sentence_keys

    furniture = "Sign up to our daily newsletter for the best stories of the day."
    places = ["harbour", "station", "library"]  # each shared by two articles only
    texts = [
        normalise(
            ARTICLE.format(title=f"Story {n}", body=f"{furniture}\n\nThe council met at the {places[n // 2]} today.")
        )
        for n in range(6)
    ]
    counts: dict[int, int] = {}
    for text in texts:
        for key in sentence_keys(text):
            counts[key] = counts.get(key, 0) + 1
    counts = {key: n for key, n in counts.items() if n > 1}
    for text in texts:
        own = ToChunk.of(text, None, "fallback", counts)
        assert 0 < len(own.counts) < len(counts)
        whole = chunk_article(FakeEncoder(), ToChunk(text, None, "fallback", counts))
        assert chunk_article(FakeEncoder(), own) == whole
        assert furniture not in " ".join(chunk.text for chunk in whole.chunks)
