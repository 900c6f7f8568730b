"""The question-answering bot on top of the `index` package."""
