"""Paper Digest benchmark suite: `bin/bench` (or `python -m bench`). Never run as tests."""
