"""Prefect flows: thin wrappers around the pubflow library (which never imports Prefect)."""
