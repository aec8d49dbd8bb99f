"""Which kind of evidence an item's wording calls for: keyword rules, first match wins.

A suggestion is a starting point for whoever binds the item, never a binding: the importer
writes it beside a ``todo`` check that the loader refuses until someone decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    suggestion: str
    pattern: re.Pattern[str]
    why: str


def _rule(suggestion: str, words: str, why: str) -> Rule:
    return Rule(suggestion, re.compile(rf"\b(?:{words})", re.IGNORECASE), why)


# Order matters: the first rule whose words occur in the item's text wins.
RULES: tuple[Rule, ...] = (
    _rule("not_applicable", r"telegram|reorg|blockchain reorgani|gpu\b|mtls|grpc|graphql|erc1155|paper trading"
          r"|goroutine|jito|jupiter|drawdown|trading halt|position sizing|signer service",
          "names a platform or domain the service does not have"),
    _rule("attestation", r"sign-?off|approv|on-call|policy|policies|backup|disaster|retention|training"
          r"|feedback|satisfaction|costs?\b|budget|support tickets|incident|staging|review|audit\b|compliance"
          r"|gdpr|soc 2|pci|owasp|architecture diagram|roadmap|plan\b",
          "a decision or process a person vouches for"),
    _rule("secrets_scan", r"secret|hard-?coded|credential|key exposure|not in git|private key",
          "about secrets in code"),
    _rule("alert_rules", r"alert", "about alert rules"),
    _rule("migrations", r"migrat", "versioned schema migrations"),
    _rule("shutdown", r"graceful|sigterm|shut ?down|drain", "stopping without dropping requests in flight"),
    _rule("burst", r"rate.?limit|throttl|too many requests|429", "a limit that must answer 429"),
    _rule("metrics", r"/metrics|prometheus metric|exposes? metric|metrics endpoint", "an exposed metric"),
    _rule("logs", r"logs?\b|logging|logged", "what the service writes to its log"),
    _rule("load", r"load test|stress|concurrent users|throughput|requests/second|req/s|requests per second|rps\b"
          r"|qps\b|benchmark|under load|p9[59]|p50|percentile|latency",
          "a behaviour under load"),
    _rule("chaos", r"failover|fallback|circuit breaker|outage|failure scenario|connection loss|connectivity failure"
          r"|graceful degradation|recovery|restart|provider downtime|resilien",
          "a behaviour under a fault"),
    _rule("http", r"health|heartbeat|/ready|/ping", "a health endpoint"),
    _rule("file", r"dockerfile|docker|kubernetes|k8s|manifest|liveness|readiness probe|index"
          r"|\.env|environment variable|runbook|configmap|resource limits|documentation|docs?\b|guide",
          "an artifact in the repository (file, yaml_file, dockerfile, env_example, migrations)"),
    _rule("promql", r"availability|uptime|error rate|mttr|mttd|error budget|slo\b", "a service level over time"),
    _rule("metrics", r"metric|prometheus|hit rate|hit/miss|monitor|instrument|counter|gauge", "an exposed metric"),
    _rule("http", r"validat|api key|auth|error|request id|header|cors|idempot|job|endpoint|cache"
          r"|timeout|sql injection|sanitiz|xss|csrf|https|tls|openapi|swagger",
          "an HTTP behaviour"),
)


def suggest(text: str) -> tuple[str, str]:
    """(suggested check type or 'attestation'/'not_applicable', reason); ('todo', ...) when nothing fits."""
    for rule in RULES:
        if rule.pattern.search(text):
            return rule.suggestion, rule.why
    return "todo", "no rule matched the wording"
