"""User classes for the runner's tests, against ``tests/loadtests/app.py``."""

from __future__ import annotations

from locust import FastHttpUser, TaskSet, constant, task

from readiness_harness.loadtests.common import expected_statuses, pacing, settle


class _Settled(FastHttpUser):
    abstract = True
    path = "/fast"
    label = "fast"
    wait_time = pacing(constant(0.05))

    @task
    def call(self) -> None:
        with self.client.get(self.path, name=self.label, catch_response=True) as response:
            settle(response, self.label, expected_statuses())


class FastUser(_Settled):
    pass


class SlowUser(_Settled):
    path, label = "/slow?ms=60", "slow"


class FlakyUser(_Settled):
    path, label = "/flaky", "flaky"


class LimitedUser(_Settled):
    path, label = "/limited", "limited"


class BareLimitedUser(_Settled):
    path, label = "/limited-bare", "limited bare"


class PacedUser(_Settled):
    wait_time = pacing()


class RaisingUser(FastHttpUser):
    """A locustfile bug: every task raises before making a request."""

    wait_time = constant(0.2)

    @task
    def broken(self) -> None:
        raise ValueError("task bug in the locustfile")


class _Busy(TaskSet):
    """A task set with its own wait_time: the plugin paces user classes, not task sets."""

    wait_time = constant(0.01)

    @task
    def call(self) -> None:
        self.client.get("/fast", name="fast")


class TaskSetUser(FastHttpUser):
    tasks = [_Busy]
