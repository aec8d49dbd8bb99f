"""Fault injection: Toxiproxy client adapter, server selection, embedded server and scenarios."""
