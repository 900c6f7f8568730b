"""The source of truth: one SQLite database per index (WAL), its segment files, the writer lock."""
