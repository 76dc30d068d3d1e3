"""Beatwire's downloader middlewares, one module per behaviour (order: crawler.settings)."""
