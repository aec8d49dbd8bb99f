"""Load for the `load-health` item: a plain Locust user; it imports nothing of the harness."""

from locust import HttpUser, task


class ServiceUser(HttpUser):
    @task
    def health(self) -> None:
        self.client.get('/get', name="health")
