"""A plain locustfile for nginx in front of httpbin: GET /get through the reverse proxy."""

from locust import FastHttpUser, constant, task


class ThroughProxy(FastHttpUser):
    wait_time = constant(1)

    @task
    def get(self):
        self.client.get("/get", name="get via nginx")
