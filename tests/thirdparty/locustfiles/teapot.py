"""A plain locustfile whose endpoint always answers 418 (Locust itself counts each as a failure)."""

from locust import FastHttpUser, constant, task


class Teapot(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def brew(self):
        self.client.get("/status/418", name="teapot")
