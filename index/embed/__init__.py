"""Embedding: the Encoder protocol, the model an index is built with, and its two backends."""
