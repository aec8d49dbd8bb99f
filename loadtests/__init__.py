"""Load tests: reference Locust user classes and the runner that drives Locust as a subprocess.

``loadtests.locustfiles`` and ``loadtests.common`` run *inside* Locust (gevent); every other
module here runs in the harness process and never imports Locust. Keep this package's
``__init__`` free of imports so that a locustfile importing ``loadtests.common`` stays light.
"""
