"""The store's tables. Bump FORMAT_VERSION whenever they change in a way old code cannot read."""

FORMAT_VERSION = 8

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Every file found under an indexed folder: what it looked like when last read, and its fate.
CREATE TABLE files (
    path TEXT PRIMARY KEY,              -- absolute
    display TEXT NOT NULL,              -- as found under its indexed folder
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    state TEXT NOT NULL,                -- 'indexed', 'unreadable' or 'skipped'
    reason TEXT                         -- why it is not indexed
);

-- An article: a file, or one entry of a feed file.
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,           -- file path, or file path '#' entry id
    file TEXT NOT NULL,
    display TEXT NOT NULL,
    sha256 TEXT NOT NULL,               -- of the normalised text
    title TEXT NOT NULL,
    published TEXT, author TEXT, site TEXT, url TEXT,
    duplicate_of INTEGER,               -- an identical article, indexed in its place
    story INTEGER NOT NULL,             -- versions of one story (a third of sentences shared) count once
    cluster INTEGER NOT NULL,           -- near-identical copies (MinHash), shown as one hit
    signature TEXT NOT NULL,            -- which of its sentences other stories repeat, when chunked
    keys BLOB NOT NULL,                 -- its sentence keys, int64
    minhash BLOB NOT NULL,              -- its near-copy signature, uint16 (indexer.neardup)
    shingles INTEGER NOT NULL,          -- the runs of words the signature was made of
    dropped BLOB NOT NULL,              -- [[text, why], ...] left out of the index (store.codec.pack_json)
    passages INTEGER NOT NULL
);
CREATE INDEX articles_by_file ON articles(file);
CREATE INDEX articles_by_cluster ON articles(cluster);
CREATE INDEX articles_by_story ON articles(story);
-- for the totals `bot index`, `bot status` and the chat banner show, without reading every row
CREATE INDEX articles_by_copy ON articles(duplicate_of);
CREATE INDEX articles_by_published ON articles(published);
CREATE INDEX files_by_state ON files(state);

CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,             -- the id in the search segments
    article INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text BLOB NOT NULL,                 -- deflated UTF-8 (store.codec.pack_text)
    vector INTEGER NOT NULL             -- vectors.id
);
CREATE INDEX chunks_by_article ON chunks(article);
CREATE INDEX chunks_by_segment ON chunks(segment);
CREATE INDEX chunks_by_vector ON chunks(vector);

-- The canonical vectors, one per distinct encoder input, kept as they are embedded so that an
-- interrupted run loses nothing: a chunk with the same text reuses its row.
CREATE TABLE vectors (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL UNIQUE,           -- hash of the encoder input (headline + passage)
    passage BLOB NOT NULL,              -- int8 with a float32 scale (store.codec)
    spans BLOB NOT NULL,                -- int32 (start, end) of each sentence in the passage
    sentences BLOB NOT NULL             -- the sentences' vectors, 4-bit (store.codec)
);

CREATE TABLE sentence_keys (key INTEGER NOT NULL, article INTEGER NOT NULL, PRIMARY KEY (key, article)) WITHOUT ROWID;
CREATE TABLE lsh (
    band INTEGER NOT NULL,
    hash INTEGER NOT NULL,
    article INTEGER NOT NULL,
    PRIMARY KEY (band, hash, article)
) WITHOUT ROWID;

-- Immutable search structures over groups of chunks: files segments/dense-N.faiss, bm25-N/.
CREATE TABLE segments (id INTEGER PRIMARY KEY, chunks INTEGER NOT NULL, dense TEXT NOT NULL, params TEXT NOT NULL);
-- Chunks deleted since their segment was written; searches skip them until a merge drops them.
CREATE TABLE tombstones (chunk INTEGER PRIMARY KEY, segment INTEGER NOT NULL);
-- Segment files no longer in use, deleted by a later writer (a reader may be opening them).
CREATE TABLE retired (name TEXT PRIMARY KEY, generation INTEGER NOT NULL);
-- Each folder's own files, hashed (store.folders); derived from files, written with it.
CREATE TABLE folders (
    path TEXT PRIMARY KEY,              -- absolute
    signature INTEGER NOT NULL,         -- of its own files' rows (store.folders)
    indexed INTEGER NOT NULL,           -- how many of them are indexed
    files INTEGER NOT NULL              -- how many rows
) WITHOUT ROWID;
"""

# The newest rows of sentence_keys and lsh, in arrival order and without an index: an added
# article's rows go to a page or two at the tables' ends, not to a page each of the two trees
# keyed at random, and are folded into them in key order as they grow (store.writer.fold_recent).
RECENT_TABLES = """
CREATE TABLE recent_sentence_keys (key INTEGER NOT NULL, article INTEGER NOT NULL);
CREATE TABLE recent_lsh (band INTEGER NOT NULL, hash INTEGER NOT NULL, article INTEGER NOT NULL);
"""
SCHEMA += RECENT_TABLES

# Older formats this bot reads as they are, and the statements that bring each to FORMAT_VERSION
# when a writer opens it (store.database.upgrade): a reader never needs what they lack.
UPGRADES = {7: RECENT_TABLES}
