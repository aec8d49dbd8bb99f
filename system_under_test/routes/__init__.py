"""HTTP routes: operational endpoints (health, ready, metrics) and the /v1 API."""
