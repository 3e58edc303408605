"""One JSON shape for every error the API returns (docs/api.md, "Errors").

    {"error": {"code": "not_found", "message": "...",
               "details": [{"loc": [...], "message": "..."}]}}

Handlers turn ninja's validation errors, Django's ``ValidationError``, ``Http404``,
``PermissionDenied`` and anything unexpected into that shape, so an integrator never sees an
HTML page from ``/api/``.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)


class ErrorDetail(Schema):
    # Where the problem is: ["body", "items", 3, "parent_code"], ["query", "limit"], [] ...
    loc: list[str | int]
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail]


class ErrorOut(Schema):
    error: ErrorBody


# The name every endpoint gives its JSON body parameter (error locations leave it out).
BODY_PARAMETER = "payload"
ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429, 500)
# Declared on every operation, so the schema documents the error shape for each.
ERROR_RESPONSES: dict[int, type[Schema]] = dict.fromkeys(ERROR_STATUSES, ErrorOut)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def error_payload(code: str, message: str, details: list[dict] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    response = JsonResponse(error_payload(code, message, details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def validation_details(error: DjangoValidationError) -> list[dict]:
    if hasattr(error, "error_dict"):
        return [
            {"loc": [] if field == "__all__" else [field], "message": str(message)}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"loc": [], "message": str(message)} for message in error.messages]


def _ninja_details(errors: list[dict]) -> list[dict]:
    details = []
    for item in errors:
        loc = [part if isinstance(part, int) else str(part) for part in item.get("loc", ())]
        # ninja names the body parameter ("payload"); integrators know only the JSON body.
        if loc[:2] == ["body", BODY_PARAMETER]:
            del loc[1]
        details.append({"loc": loc, "message": str(item.get("msg", "Invalid value."))})
    return details


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
}


def install_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @api.exception_handler(NinjaValidationError)
    def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return error_response(
            422, "validation_error", "The request is not valid.", _ninja_details(exc.errors)
        )

    @api.exception_handler(DjangoValidationError)
    def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return error_response(
            422, "validation_error", "The request is not valid.", validation_details(exc)
        )

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            401,
            "unauthorized",
            "A valid API token is required: send the header 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja raises HttpError(400) for a body that is not JSON at all.
        status = exc.status_code
        return error_response(status, STATUS_CODES.get(status, "error"), str(exc))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", "Not found.")

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(403, "forbidden", str(exc) or "Forbidden.")

    @api.exception_handler(Exception)
    def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "server_error", "Internal server error.")
