"""The OpenAPI 3.0.3 schema of the public and partner APIs, written here by hand.

Every object is exact: its required fields listed and nothing else allowed
(additionalProperties false), so tests/api/test_schemathesis.py catches an answer that
drifts from what the docs promise.
"""

from django.conf import settings

from members.consent import OPT_IN_WORDING_VERSION
from petitions.forms import COUNTRY_CODES
from petitions.models import Petition


def _string(**extra) -> dict:
    return {"type": "string", **extra}


def _nullable_time() -> dict:
    return {"type": "string", "format": "date-time", "nullable": True}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _counts_map(description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "integer", "minimum": 0},
    }


SUMMARY_FIELDS = {
    "slug": _string(pattern="^[-a-zA-Z0-9_]+$"),
    "title": _string(description="The ask."),
    "target": _string(description="Who the petition is addressed to."),
    "summary": _string(),
    "status": _string(enum=["open", "closed", "won"]),
    "language": _string(description="The petition's language (a BCP 47 tag)."),
    "url": _string(format="uri", description="The petition's public page."),
    "count": {"type": "integer", "minimum": 0, "description": "Confirmed signatures."},
    "goal": {"type": "integer", "minimum": 1},
    "published_at": _nullable_time(),
    "closed_at": _nullable_time(),
}


def _json(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}
        },
    }


def _errors(*codes: int) -> dict:
    words = {
        400: "The request is not valid; `error` says why (and `errors` per field).",
        401: "No token, or not a valid one.",
        403: "The token lacks the scope this needs.",
        404: "No such petition (or not published).",
        409: "The petition is closed.",
        429: "Too many requests from this network (or token); see Retry-After.",
    }
    return {str(code): _json("Error", words[code]) for code in codes}


def _read(summary: str, schema_ref: str, parameters: list, *errors: int) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": _json(schema_ref, "OK"),
                "304": {"description": "Not modified (If-None-Match matched the ETag)."},
                **_errors(*errors, 429),
            },
        }
    }


SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 80},
}


def openapi_schema() -> dict:
    statuses = [Petition.Status.OPEN, Petition.Status.CLOSED, Petition.Status.WON]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Chorus API",
            "version": "1",
            "description": "Published petitions and their counts (public, read-only), and the "
            "partner API for signing on a person's behalf. No personal data is ever returned.",
        },
        "servers": [{"url": settings.BASE_URL}],
        "paths": {
            "/api/v1/petitions/": _read(
                "Published petitions, newest first, a page at a time",
                "PetitionList",
                [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": [s.value for s in statuses]},
                    },
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": settings.API_MAX_PAGE,
                        },
                    },
                ],
                400,
            ),
            "/api/v1/petitions/{slug}/": _read(
                "One petition with its counts by country, day and partner",
                "PetitionDetail",
                [SLUG],
                404,
            ),
            "/api/v1/petitions/{slug}/count/": _read(
                "A petition's count and goal", "Count", [SLUG], 404
            ),
            "/api/v1/petitions/{slug}/signatures/": {
                "post": {
                    "summary": "Sign for a person (partner token with signatures:write)",
                    "security": [{"partnerToken": []}],
                    "parameters": [SLUG],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SignatureRequest"}
                            }
                        },
                    },
                    "responses": {
                        "202": _json(
                            "Accepted",
                            "Taken; the same answer whether or not the address had signed.",
                        ),
                        **_errors(400, 401, 403, 404, 409, 429),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "partnerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A partner token made in the staff area (Partners).",
                }
            },
            "schemas": {
                "PetitionSummary": _object(SUMMARY_FIELDS),
                "PetitionList": _object(
                    {
                        "results": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/PetitionSummary"},
                        },
                        "page": {"type": "integer", "minimum": 1},
                        "next": _string(format="uri", nullable=True),
                        "previous": _string(format="uri", nullable=True),
                    }
                ),
                "PetitionDetail": _object(
                    {
                        **SUMMARY_FIELDS,
                        "countries": _counts_map("Confirmed signatures by ISO country code."),
                        "daily": {
                            "type": "array",
                            "description": "Confirmed signatures by day of confirmation (UTC).",
                            "items": _object(
                                {
                                    "date": _string(format="date"),
                                    "count": {"type": "integer", "minimum": 0},
                                }
                            ),
                        },
                        "partners": _counts_map("Confirmed signatures by partner slug."),
                    }
                ),
                "Count": _object(
                    {
                        "slug": _string(),
                        "count": {"type": "integer", "minimum": 0},
                        "goal": {"type": "integer", "minimum": 1},
                    }
                ),
                "SignatureRequest": _object(
                    {
                        "first_name": _string(minLength=1, maxLength=100),
                        "last_name": _string(minLength=1, maxLength=100),
                        "email": _string(format="email", maxLength=254),
                        "country": _string(
                            enum=sorted(COUNTRY_CODES), description="ISO 3166-1 alpha-2 code."
                        ),
                        "postcode": _string(maxLength=20),
                        "comment": _string(maxLength=1000),
                        "show_name": {"type": "boolean"},
                        "opt_in": {
                            "type": "boolean",
                            "description": "Only if the signer saw Chorus's opt-in wording; "
                            "then send opt_in_wording_version too.",
                        },
                        "opt_in_wording_version": _string(enum=[OPT_IN_WORDING_VERSION]),
                        "language": _string(maxLength=35),
                    },
                    required=["first_name", "last_name", "email", "country"],
                ),
                "Accepted": _object({"status": _string(enum=["accepted"]), "detail": _string()}),
                "Error": _object(
                    {
                        "error": _string(),
                        "field": _string(),
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": _string()},
                        },
                        "retry_after": {"type": "integer", "minimum": 0},
                    },
                    required=["error"],
                ),
            },
        },
    }
