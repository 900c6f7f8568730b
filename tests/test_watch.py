"""`bot watch` on the real filesystem: real inotify events in tmp_path, a fake encoder."""

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FakeEncoder

from index.indexer.report import Report
from index.indexer.watch import FolderGone, Watcher
from index.search.searcher import Searcher
from index.store import codec
from index.store.lock import writer_lock

STORY = (
    "{title}\n\nThe harbour authority said on {day} that the new terminal would open next spring, creating {n} jobs.\n"
)


def story(folder: Path, name: str, n: int) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STORY.format(title=f"Harbour news {n}", day="Monday", n=n), encoding="utf-8")
    return path


def indexed(index_dir: Path) -> set[str]:
    try:
        searcher = Searcher.open(index_dir, load_model=False)
    except Exception:
        return set()
    try:
        return {row[0] for row in searcher.connection.execute("SELECT display FROM articles")}
    finally:
        searcher.close()


def until(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def watched(tmp_path: Path, isolated_dirs: Path, fake_info):
    folder = tmp_path / "news"
    folder.mkdir()
    story(folder, "first.txt", 1)
    reports: list[Report] = []
    errors: list[BaseException] = []
    watcher = Watcher(isolated_dirs, [folder], fake_info, FakeEncoder, on_update=reports.append)

    def run() -> None:
        try:
            watcher.run()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert until(lambda: "news/first.txt" in indexed(isolated_dirs)), "the catch-up update did not run"
    time.sleep(0.2)  # the observer is scheduled right after the catch-up
    yield folder, watcher, reports, errors
    watcher.close()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_create_modify_delete_move_and_new_folders(watched, isolated_dirs: Path, tmp_path: Path) -> None:
    folder, _, _, _ = watched
    story(folder, "second.txt", 2)
    assert until(lambda: "news/second.txt" in indexed(isolated_dirs))
    (folder / "second.txt").write_text(STORY.format(title="Harbour news 2", day="Friday", n=99), encoding="utf-8")
    assert until(lambda: _text_of(isolated_dirs, "news/second.txt").find("99 jobs") >= 0)
    os.rename(folder / "second.txt", folder / "renamed.txt")
    assert until(
        lambda: "news/renamed.txt" in indexed(isolated_dirs) and "news/second.txt" not in indexed(isolated_dirs)
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    story(outside, "incoming.txt", 3)
    os.rename(outside / "incoming.txt", folder / "incoming.txt")  # moved in: ready at once
    assert until(lambda: "news/incoming.txt" in indexed(isolated_dirs))
    os.rename(folder / "incoming.txt", outside / "incoming.txt")  # moved out
    assert until(lambda: "news/incoming.txt" not in indexed(isolated_dirs))
    nested = tmp_path / "nested"
    story(nested / "deeper", "inside.txt", 4)
    shutil.move(str(nested), str(folder / "nested"))  # a whole folder moved in
    assert until(lambda: "news/nested/deeper/inside.txt" in indexed(isolated_dirs))
    shutil.rmtree(folder / "nested")  # and deleted
    assert until(lambda: "news/nested/deeper/inside.txt" not in indexed(isolated_dirs))
    (folder / "renamed.txt").unlink()
    assert until(lambda: indexed(isolated_dirs) == {"news/first.txt"})


def test_temporary_hidden_and_index_files_are_ignored(watched, isolated_dirs: Path) -> None:
    folder, watcher, reports, _ = watched
    before, reported = watcher.updates, len(reports)
    for name in (".draft.txt", "notes.txt.swp", "notes.txt~", "download.txt.part", ".hidden/secret.txt"):
        story(folder, name, 5)
    time.sleep(1.5)
    assert (watcher.updates, len(reports)) == (before, reported)
    assert indexed(isolated_dirs) == {"news/first.txt"}


def test_a_file_written_in_two_parts_is_indexed_whole(watched, isolated_dirs: Path) -> None:
    folder, _, _, _ = watched
    path = folder / "slow.txt"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("Harbour news slow\n\nThe harbour authority said on Monday that")
        handle.flush()
        time.sleep(2.5)
        handle.write(" the ferry terminal would close for repairs lasting six weeks.\n")
    assert until(lambda: "news/slow.txt" in indexed(isolated_dirs))
    assert "six weeks" in _text_of(isolated_dirs, "news/slow.txt")


def test_a_burst_becomes_a_few_updates(watched, isolated_dirs: Path, tmp_path: Path) -> None:
    folder, watcher, _, _ = watched
    source = tmp_path / "burst"
    for n in range(300):
        story(source, f"{n:03d}.txt", 100 + n)
    before = watcher.updates
    shutil.copytree(source, folder / "burst")
    assert until(lambda: len(indexed(isolated_dirs)) == 301, 60)
    assert watcher.updates - before <= 4


def test_an_indexer_run_by_hand_and_the_watcher_take_turns(watched, isolated_dirs: Path) -> None:
    folder, _, _, _ = watched
    with writer_lock(isolated_dirs, wait=True, on_wait=lambda message: None):  # `bot index` holds the lock
        story(folder, "while-locked.txt", 6)
        time.sleep(1.5)
        assert "news/while-locked.txt" not in indexed(isolated_dirs)
    assert until(lambda: "news/while-locked.txt" in indexed(isolated_dirs))


def test_the_watched_folder_deleted_stops_in_one_line(watched, isolated_dirs: Path) -> None:
    folder, _, _, errors = watched
    shutil.rmtree(folder)
    assert until(lambda: bool(errors), 40)
    assert isinstance(errors[0], FolderGone) and "is gone" in str(errors[0])
    assert indexed(isolated_dirs) == {"news/first.txt"}  # kept as it was: it may be an unmount


def _text_of(index_dir: Path, display: str) -> str:
    searcher = Searcher.open(index_dir, load_model=False)
    try:
        rows = searcher.connection.execute(
            "SELECT c.text FROM chunks c JOIN articles a ON a.id = c.article WHERE a.display = ?", (display,)
        ).fetchall()
        return " ".join(codec.unpack_text(r[0]) for r in rows)
    finally:
        searcher.close()
