"""The benchmark's user: as many GET / as one connection can do, no pacing."""

from __future__ import annotations

from locust import FastHttpUser, constant, task


class FastUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def root(self) -> None:
        self.client.get("/", name="root")
