"""A plain locustfile (nothing from the harness) for the remote-worker test: GET /fast, no wait of its own."""

from locust import FastHttpUser, constant, task


class PlainFast(FastHttpUser):
    wait_time = constant(0)

    @task
    def fast(self):
        self.client.get("/fast", name="fast")
