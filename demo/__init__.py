"""A small sample site (feeds and article pages, the seed article among them)
and `python -m demo`, which runs one Beatwire cycle against it."""
