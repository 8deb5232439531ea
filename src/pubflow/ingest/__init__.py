"""Readers that turn a source article (text, Markdown, HTML) into an :class:`Article`."""
