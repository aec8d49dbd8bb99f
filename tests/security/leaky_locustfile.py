"""A user that puts its secrets in the URL, so that Locust's own files name them (for the redaction test)."""

from __future__ import annotations

import os

from locust import FastHttpUser, constant, task


class LeakyUser(FastHttpUser):
    wait_time = constant(0.2)

    @task
    def echo(self) -> None:
        token, password = os.environ.get("LEAKY_TOKEN", ""), os.environ.get("LEAKY_PW", "")
        self.client.get(f"/echo?t={token}&p={password}", headers={"X-Token": token})
        self.client.get(f"/missing-{token}")
