"""A plain locustfile: nothing from the harness, the user's own wait_time, one GET."""

from locust import HttpUser, between, task


class Reader(HttpUser):
    wait_time = between(0.0, 0.05)

    @task
    def get(self):
        self.client.get("/get", name="get")
