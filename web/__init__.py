"""`beatwire web`: the archive, read-only, in a browser (search, statements, agencies, feeds)."""
