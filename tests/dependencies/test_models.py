"""The `dependencies:` section: validation with located errors, URLs, provider choice, external servers."""

from __future__ import annotations

import pytest

from readiness_harness.contract.errors import ChecklistError, TargetError
from readiness_harness.dependencies import DependencyStack, publish
from readiness_harness.dependencies.models import DependencySpec, RunningDependency, build_url, replace_address
from readiness_harness.dependencies.stack import chosen_provider
from readiness_harness.placeholders import Placeholders
from readiness_harness.target import load_target

TARGET = """
    name: svc
    base_url: "http://127.0.0.1:{port.api}"
    dependencies:
"""


def test_target_file_dependencies_are_parsed_with_defaults(write_yaml):
    path = write_yaml("t.yaml", TARGET + """
          - {name: db, kind: postgresql}
          - {name: cache, kind: redis, provider: external, url: "redis://127.0.0.1:6390/2"}
        """)
    spec, _ = load_target(path)
    db, cache = spec.dependencies
    assert (db.provider, db.database, db.proxy, db.image) == ("local", "app", True, None)
    assert cache.provider == "external" and cache.url == "redis://127.0.0.1:6390/2"


@pytest.mark.parametrize(("entry", "message"), [
    ("{name: db, kind: postgresql, timeout: 3}", "timeout"),
    ("{name: db, kind: mysql}", "kind"),
    ("{name: db, kind: postgresql, provider: docker}", "provider"),
    ("{name: db, kind: postgresql, provider: external}", "needs `url:`"),
    ("{name: db, kind: redis, url: 'postgresql://x/y'}", "redis://"),
    ("{name: 'bad name', kind: redis}", "name"),
])
def test_invalid_dependencies_are_reported_with_file_and_line(write_yaml, entry, message):
    path = write_yaml("t.yaml", TARGET + f"          - {entry}\n")
    with pytest.raises(ChecklistError) as caught:
        load_target(path)
    text = str(caught.value)
    assert message in text and "t.yaml:4" in text


def test_urls_keep_credentials_and_database_when_the_address_changes():
    url = build_url("postgresql", "127.0.0.1", 5432, username="u", password="p@ss/word", database="app")
    assert url == "postgresql://u:p%40ss%2Fword@127.0.0.1:5432/app"
    assert replace_address(url, "127.0.0.1", 6000) == "postgresql://u:p%40ss%2Fword@127.0.0.1:6000/app"
    assert replace_address("redis://127.0.0.1/3?x=1", "::1", 7) == "redis://[::1]:7/3?x=1"
    assert build_url("redis", "127.0.0.1", 6379, username=None, password=None, database="0") == \
        "redis://127.0.0.1:6379/0"


def test_the_run_override_wins_over_the_target_file():
    spec = DependencySpec(name="db", kind="postgresql", provider="local")
    assert chosen_provider(spec, None) == "local"
    assert chosen_provider(spec, "container") == "container"
    with pytest.raises(TargetError, match="unknown dependency provider 'docker'"):
        chosen_provider(spec, "docker")


def test_external_dependency_starts_nothing_and_publishes_the_proxy_address():
    stack = DependencyStack()
    placeholders = Placeholders({"env.X": "unused"}, environ={"DB_HOST": "127.0.0.1"})
    spec = DependencySpec(name="db", kind="postgresql", provider="external",
                          url="postgresql://svc:secret@{env.DB_HOST}:5999/orders?sslmode=disable")
    stack.start([spec], placeholders=placeholders, environ={})
    (db,) = stack.running
    assert (db.host, db.port, db.username, db.password, db.database) == ("127.0.0.1", 5999, "svc", "secret", "orders")
    publish(placeholders, db, proxy="127.0.0.1:7001")
    assert placeholders.get("dep.db.url") == "postgresql://svc:secret@127.0.0.1:7001/orders?sslmode=disable"
    assert (placeholders.get("dep.db.host"), placeholders.get("dep.db.port")) == ("127.0.0.1", "7001")
    assert placeholders.get("dep.db.direct_url") == "postgresql://svc:secret@127.0.0.1:5999/orders?sslmode=disable"
    assert placeholders.expand("{dep.db.url}").endswith(":7001/orders?sslmode=disable")
    assert stack.stop() == []


def test_provider_override_to_external_needs_a_url():
    stack = DependencyStack()
    with pytest.raises(TargetError, match="external provider needs `url:`"):
        stack.start([DependencySpec(name="db", kind="postgresql")], placeholders=Placeholders(), environ={},
                    override="external")


def test_stop_attempts_every_dependency_and_reports_failures():
    stopped: list[str] = []

    def failing() -> None:
        stopped.append("db")
        raise RuntimeError("pg_ctl hung")

    stack = DependencyStack(running=[
        RunningDependency(name="db", kind="postgresql", provider="local", host="127.0.0.1", port=1, _stop=failing),
        RunningDependency(name="cache", kind="redis", provider="local", host="127.0.0.1", port=2,
                          _stop=lambda: stopped.append("cache")),
    ])
    errors = stack.stop()
    assert stopped == ["cache", "db"]
    assert errors == ["dependency 'db' did not stop cleanly: pg_ctl hung"]
    assert stack.running == []


def test_cli_provider_accepts_only_known_providers(capsys):
    from readiness_harness.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["audit", "checklists/reference-full.yaml", "--provider", "docker"])
    assert exited.value.code == 2
    assert "invalid choice: 'docker'" in capsys.readouterr().err
