"""Load tests: the Locust runner, the harness's Locust plugin, the request record and reference locustfiles.

``harness_plugin`` (loaded by Locust before the user's locustfile), ``locustfiles`` and ``common``
run *inside* Locust (gevent); every other module here runs in the harness process and never
imports Locust. Keep this package's ``__init__`` free of imports so that a locustfile importing
``loadtests.common`` stays light.
"""
