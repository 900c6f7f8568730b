"""Lexical scoring: tokenising, BM25 over segments, how well a sentence answers a question."""
