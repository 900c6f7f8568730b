"""Answering queries: Searcher.open(index_dir) is what the CLI, the chat and the evaluator use."""
