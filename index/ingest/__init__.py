"""Reading articles: finding files, decoding bytes, and each format's reader (text, Markdown,
HTML, feeds), all ending in the same Article with its metadata."""
