"""An open index, as of one generation: the store's database, its segments, the query encoder.

Searcher.open reads which segments make up the index and opens them all (memory-mapped) at once:
from then on a writer deleting or merging segments cannot hurt it, as the files stay readable
until closed. A query reads its rows inside one SQLite transaction, so it sees one consistent
snapshot; refresh() moves a long-lived Searcher (the chat) to the newest generation.
"""

import functools
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.ann.segment import DenseSegment
from index.embed.encoder import Encoder
from index.errors import IndexCorrupt, IndexNotFound, ModelMismatch, UserError
from index.indexer.segments import Loaded, load
from index.scoring.bm25 import Bm25
from index.store import catalog, layout
from index.store.database import Meta, open_database, read_meta, transaction

if TYPE_CHECKING:
    import numpy as np

    from index.search.filters import Filters

ATTEMPTS = 5


class Searcher:
    """Queries against one index directory; open with Searcher.open."""

    def __init__(
        self, index_dir: Path, store_dir: Path, connection: sqlite3.Connection, parts: Loaded, encoder: Encoder | None
    ) -> None:
        self.index_dir = index_dir
        self.store_dir = store_dir
        self.connection = connection
        self._parts = parts
        self._encoder = encoder
        self._failure: BaseException | None = None
        self._loader: threading.Thread | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, encoder: Encoder | None = None, load_model: bool = True) -> "Searcher":
        """Open the current generation (retrying while a writer swaps it under us).

        Args:
            encoder: the query encoder to use; by default the index's own model, loaded in a
                background thread from now on, so that it is ready by the first question.
            load_model: False for callers that only read (status, articles, show).
        """
        store_dir, connection, parts = _open_parts(index_dir)
        _one_search_thread()
        searcher = cls(index_dir, store_dir, connection, parts, encoder)
        if encoder is None and load_model and parts.meta.encoder_dim:
            searcher.start_loading()
        return searcher

    @property
    def meta(self) -> Meta:
        return self._parts.meta

    @property
    def dense(self) -> list[DenseSegment]:
        return self._parts.dense

    @property
    def bm25(self) -> Bm25:
        return self._parts.bm25

    @property
    def generation(self) -> tuple[str, int]:
        return self.store_dir.name, self.meta.generation

    @property
    def empty(self) -> bool:
        return not self.dense or self.meta.encoder_dim == 0

    @functools.cached_property
    def stopwords(self) -> frozenset[str]:
        """The stopwords the index was built with, so a query is tokenised as its passages were."""
        return frozenset(self.meta.stopwords)

    def allowed(self, filters: "Filters") -> "np.ndarray":
        """The chunk ids of the articles the filters let through (inside the caller's snapshot)."""
        import numpy as np

        from index.ingest.dates import day

        newest = day(self.connection.execute("SELECT max(published) FROM articles").fetchone()[0])
        where, parameters = filters.sql(newest)
        ids = self._read(
            lambda c: [
                r[0]
                for r in c.execute(
                    f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article WHERE {where}", parameters
                )
            ]
        )
        return np.asarray(ids, dtype=np.int64)

    def start_loading(self) -> None:
        """Load the index's model in the background (checked against the index's fingerprint)."""

        def load() -> None:
            try:
                self._encoder = _index_encoder(self.meta)
            except BaseException as error:
                self._failure = error

        # Not a daemon, for the reason OnnxEncoder's loader is not: an ask that ends before it
        # finishes must not exit while onnxruntime is half-built.
        self._loader = threading.Thread(target=load, name="encoder")
        self._loader.start()

    @property
    def encoder(self) -> Encoder:
        if self._loader is not None:
            self._loader.join()
        if self._failure is not None:
            raise self._failure
        if self._encoder is None:
            self._encoder = _index_encoder(self.meta)
        return self._encoder

    @property
    def model_ready(self) -> bool:
        return self._encoder is not None

    def refresh(self) -> bool:
        """Move to the newest generation if a writer committed one; True when it did."""
        try:
            current = layout.current(self.index_dir)
            if current == self.store_dir:
                with self.snapshot():
                    generation = read_meta(self.connection).generation
                if generation == self.meta.generation:
                    return False
        except (UserError, sqlite3.DatabaseError):
            return False  # keep answering from what we have; the next refresh tries again
        store_dir, connection, parts = _open_parts(self.index_dir)
        old = self.connection
        self.store_dir, self.connection, self._parts = store_dir, connection, parts
        old.close()
        return True

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every row read inside comes from the same commit."""
        with self._lock:
            try:
                with transaction(self.connection, write=False):
                    yield self.connection
            except sqlite3.DatabaseError as error:
                raise IndexCorrupt(f"{layout.DATABASE}: {error}") from None

    def close(self) -> None:
        if "beside" in self.__dict__:
            self.beside.shutdown()
        self.connection.close()

    # Rows, for the search and the answer. Each call reads in its own snapshot unless the caller
    # holds one.

    def chunks(self, ids: list[int]) -> dict[int, catalog.ChunkRow]:
        return self._read(catalog.chunks, ids)

    def sentences(self, ids: list[int]) -> "dict[int, tuple[np.ndarray, np.ndarray]]":
        return self._read(catalog.sentences, ids, self.meta.encoder_dim)

    def passage_vectors(self, ids: list[int]) -> "dict[int, np.ndarray]":
        return self._read(catalog.passage_vectors, ids, self.meta.encoder_dim)

    def copies(self, clusters: list[int]) -> dict[int, list[catalog.ArticleRow]]:
        return self._read(catalog.copies, clusters)

    def article_chunk_ids(self, articles: list[int], limit: int) -> list[int]:
        return self._read(catalog.article_chunk_ids, articles, limit)

    @functools.cached_property
    def beside(self) -> ThreadPoolExecutor:
        """One thread for BM25 to run in while the dense search runs here: both spend most of
        their time in numpy, FAISS or SQLite, which let go of the GIL."""
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")

    def lexical(self, terms: list[int], k: int, allowed: "np.ndarray | None" = None) -> list[tuple[int, float]]:
        """BM25 over the segments; damaged postings are reported like any damaged index file."""
        try:
            return self.bm25.search(terms, k, allowed)
        except (ValueError, IndexError) as error:
            raise IndexCorrupt(f"BM25 segment: {error}") from None

    def _read(self, query: Any, *args: Any) -> Any:
        try:
            return query(self.connection, *args)
        except (sqlite3.DatabaseError, ValueError) as error:
            raise IndexCorrupt(f"{layout.DATABASE}: {error}") from None


def _one_search_thread() -> None:
    """Questions come one at a time: FAISS's OpenMP team then only waits on itself, and on a
    busy machine its spinning threads cost the most. Measured on a 28,000-passage flat segment
    with 2 cores under load: dense search 30-48 ms with 2 threads, 5-6 ms with one."""
    import faiss

    faiss.omp_set_num_threads(1)


def _index_encoder(meta: Meta) -> Encoder:
    from index.embed.load import load_encoder
    from index.embed.model import model_info

    model = model_info(meta.model_path)
    if model.fingerprint != meta.fingerprint:
        raise ModelMismatch(
            f"The model at {model.path} has changed since the index was built with it. "
            "Rebuild it with: bot index --rebuild"
        )
    return load_encoder(model, queries=True)


def _open_parts(index_dir: Path) -> tuple[Path, sqlite3.Connection, Loaded]:
    last: Exception | None = None
    for _ in range(ATTEMPTS):
        store_dir = layout.current(index_dir)
        try:
            connection = open_database(store_dir)
        except IndexCorrupt as error:
            if layout.current(index_dir) != store_dir:  # a rebuild switched stores meanwhile
                last = error
                continue
            raise
        try:
            return store_dir, connection, load(store_dir, connection)
        except (OSError, ValueError, sqlite3.DatabaseError) as error:
            connection.close()
            last = error
            if layout.current(index_dir) != store_dir or isinstance(error, FileNotFoundError):
                continue  # swapped or merged under us: look again
            raise IndexCorrupt(_describe(error)) from None
    if isinstance(last, FileNotFoundError):
        raise IndexCorrupt(_describe(last))
    raise IndexNotFound(index_dir)


def _describe(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return f"{Path(str(error.filename)).name} is missing"
    return f"{error.__class__.__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}".rstrip(": ")
