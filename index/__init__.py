"""The indexer: read articles, clean and split them, embed, store, search.

Nothing heavy is imported here, so `import index.x` stays cheap.
"""
