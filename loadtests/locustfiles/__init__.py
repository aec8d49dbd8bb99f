"""Reference locustfiles for the bundled wallet API (``system_under_test``)."""
