"""Renderers of an audit record: HTML, JSON, JUnit XML and Markdown, one module each."""
