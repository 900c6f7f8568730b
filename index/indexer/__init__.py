"""The only writer: what changed on disk, the stories and copies it touches, the commit, merges."""
