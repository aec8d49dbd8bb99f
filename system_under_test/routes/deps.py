"""Dependencies shared by the /v1 routes: services lookup, per-IP and per-key rate limits, auth."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import APIKeyHeader

from readiness_harness.system_under_test.errors import ApiError, ErrorCode, error_responses
from readiness_harness.system_under_test.ratelimit import Decision
from readiness_harness.system_under_test.security import ANONYMOUS, API_KEY_HEADER, Client
from readiness_harness.system_under_test.services import Services

api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False,
                              description="API key issued to the caller; tiers free and pro.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _apply(request: Request, services: Services, decision: Decision, scope: str) -> None:
    # The middleware copies these onto the response, whatever its status.
    request.state.rate_limit_headers = decision.headers()
    if not decision.allowed:
        services.metrics.rate_limit_rejections.labels(scope).inc()
        raise ApiError(429, ErrorCode.RATE_LIMITED, f"rate limit exceeded ({scope})",
                       details={"scope": scope, "retry_after_s": decision.retry_after_s},
                       headers={"Retry-After": str(decision.retry_after_s)})


async def require_client(request: Request, api_key: str | None = Security(api_key_header)) -> Client:
    """Authenticate the caller and apply the per-IP, then per-key, rate limits."""
    services = get_services(request)
    limiting = "no_rate_limit" not in services.defects
    if limiting:
        ip = request.client.host if request.client else "unknown"
        _apply(request, services, services.limiter.hit(f"ip:{ip}", services.ip_limit), "ip")
    client = services.keys.authenticate(api_key)
    if client is None:
        if "no_auth" not in services.defects:
            message = "missing API key" if not api_key else "invalid API key"
            raise ApiError(401, ErrorCode.UNAUTHORIZED, message,
                           headers={"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'})
        client = ANONYMOUS
    request.state.client = client
    if limiting and client is not ANONYMOUS:
        limit = services.tier_limits[client.tier]
        _apply(request, services, services.limiter.hit(f"key:{client.key_id}", limit), "key")
    return client


def v1_router(tag: str) -> APIRouter:
    """A router for /v1 routes: authenticated, rate limited, errors documented as ErrorResponse.

    The prefix is set here rather than when including the router, so each route object carries
    its full path template, which is what metrics and logs use as the route label.
    """
    return APIRouter(prefix="/v1", tags=[tag], dependencies=[Depends(require_client)],
                     responses=error_responses(401, 404, 413, 422, 429, 500, 503))
