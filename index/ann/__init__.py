"""Dense search structures over the store's canonical vectors, rebuildable from them at any time."""
