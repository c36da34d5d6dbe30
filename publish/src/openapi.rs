//! The OpenAPI 3.1 document of the JSON API, served at
//! `/api/v1/openapi.json`.
//!
//! The document is kept true by tests: every `/api/v1` route of the router
//! is in it and every path in it is a route, and real answers of each route
//! validate against its schemas with the `jsonschema` crate (see
//! `openapi_document_is_kept_true` in the crate's tests). Objects are closed (`additionalProperties: false`),
//! so a field added to an answer without being documented fails them.

use crate::calendars::Site;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::cache::{self, CachePolicy};
use crate::AppState;

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json(Site(config): Site, headers: HeaderMap) -> Response {
    let doc = document(&config.base_url, &config.languages, &config.source_kinds);
    cache::by_body(
        &headers,
        CachePolicy::Revalidate,
        StatusCode::OK,
        "application/json",
        doc.to_string().into_bytes(),
    )
}

/// The query parameters, in the document's order (the parser's list).
pub use crate::params::QUERY_PARAMETERS;

/// What a venue's `lat`/`lon` locate (absent when they are null).
fn precision() -> Value {
    json!({
        "type": "string",
        "enum": ["venue", "address", "municipality"],
        "description": "What lat/lon locate: the venue itself (the gazetteer's or the source's coordinates), a geocoded street address, or only the centre of the venue's municipality."
    })
}

fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

fn nullable_format(t: &str, format: &str) -> Value {
    json!({ "type": [t, "null"], "format": format })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema } }
    })
}

fn bad_request() -> Value {
    json_response(
        "A parameter cannot be understood; `parameter` names it.",
        reference("ParamError"),
    )
}

fn not_modified() -> Value {
    json!({ "description": "Unchanged since the ETag given in `If-None-Match`." })
}

fn query_parameters() -> Vec<Value> {
    QUERY_PARAMETERS
        .iter()
        .map(|p| json!({ "$ref": format!("#/components/parameters/{p}") }))
        .collect()
}

/// The whole document; `base_url` is the server's public address,
/// `source_kinds` the names a source's `kind` can take.
pub fn document(base_url: &str, languages: &[String], source_kinds: &[String]) -> Value {
    // A source with no `kind` is detected at its first run.
    let kinds: Vec<Value> = source_kinds
        .iter()
        .map(|k| Value::from(k.as_str()))
        .chain([Value::Null])
        .collect();
    let langs: Vec<&str> = languages.iter().map(String::as_str).collect();
    let string_param = |name: &str, description: &str| {
        json!({"name": name, "in": "query", "required": false,
               "description": description, "schema": {"type": "string"}})
    };
    let list_param = |name: &str, description: &str| {
        json!({"name": name, "in": "query", "required": false,
               "description": description, "explode": true, "style": "form",
               "schema": {"type": "array", "items": {"type": "string"}}})
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "babillard",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Cultural events gathered from many sources into one bilingual calendar. \
    Every GET answers an ETag and honours If-None-Match with 304; CORS is open to every origin. \
    The same query parameters work for /api/v1/events, /feeds/events.ics, /feeds/events.rss and /embed. \
    Each calendar of the installation (/api/v1/calendars) has this whole surface under /c/{id}/ and at the root of its host names, narrowed to its own events.",
            "license": { "name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later" }
        },
        "servers": [ { "url": base_url.trim_end_matches('/') } ],
        "paths": {
            "/api/v1/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Events that overlap [from, to), in start order, one item per occurrence.",
                    "parameters": query_parameters(),
                    "responses": {
                        "200": json_response("One page of events.", reference("EventsPage")),
                        "304": not_modified(),
                        "400": bad_request()
                    }
                }
            },
            "/api/v1/events/{id}": {
                "get": {
                    "operationId": "getEvent",
                    "summary": "One event.",
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"$ref": "#/components/parameters/lang"}
                    ],
                    "responses": {
                        "200": json_response("The event.", reference("Event")),
                        "304": not_modified(),
                        "400": bad_request(),
                        "404": json_response("No event has this id.", reference("Error"))
                    }
                }
            },
            "/api/v1/sources": {
                "get": {
                    "operationId": "listSources",
                    "summary": "The health of every source.",
                    "responses": {
                        "200": json_response("Every source.", json!({"type": "array", "items": reference("Source")})),
                        "304": not_modified()
                    }
                }
            },
            "/api/v1/categories": {
                "get": {
                    "operationId": "listCategories",
                    "summary": "Every configured category with its names and the number of events matching the query (upcoming events by default).",
                    "parameters": query_parameters(),
                    "responses": {
                        "200": json_response("Every category.", json!({"type": "array", "items": reference("Category")})),
                        "304": not_modified(),
                        "400": bad_request()
                    }
                }
            },
            "/api/v1/venues": {
                "get": {
                    "operationId": "listVenues",
                    "summary": "The configured venues and the venues events name, with the number of events matching the query (upcoming events by default).",
                    "parameters": query_parameters(),
                    "responses": {
                        "200": json_response("Every venue.", json!({"type": "array", "items": reference("VenueCount")})),
                        "304": not_modified(),
                        "400": bad_request()
                    }
                }
            },
            "/api/v1/calendars": {
                "get": {
                    "operationId": "listCalendars",
                    "summary": "Every calendar of the installation, each served under /c/{id}/ and at its hosts.",
                    "responses": {
                        "200": json_response("Every calendar.", json!({"type": "array", "items": reference("Calendar")})),
                        "304": not_modified()
                    }
                }
            },
            "/api/v1/calendar": {
                "get": {
                    "operationId": "getCalendar",
                    "summary": "The calendar this surface serves, with its branding (`id` null at the root of the installation).",
                    "responses": {
                        "200": json_response("The calendar.", reference("Calendar")),
                        "304": not_modified()
                    }
                }
            },
            "/api/v1/territories": {
                "get": {
                    "operationId": "listTerritories",
                    "summary": "Every territory, the values of `territory=`.",
                    "responses": {
                        "200": json_response("Every territory.", json!({"type": "array", "items": reference("Territory")})),
                        "304": not_modified()
                    }
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": json_response("The OpenAPI document.", json!({"type": "object"})),
                        "304": not_modified()
                    }
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the database and the search index answer.",
                    "responses": {
                        "200": json_response("Healthy.", reference("Health")),
                        "304": not_modified(),
                        "503": json_response("Not healthy.", reference("Health"))
                    }
                }
            }
        },
        "components": {
            "parameters": {
                "q": string_param("q", "Full-text search, French and English, accents ignored."),
                "from": string_param("from", "RFC 3339 date or date-time (inclusive); a date is local midnight in the aggregator's zone. Defaults to now."),
                "to": string_param("to", "RFC 3339 date or date-time (exclusive); after `from`."),
                "category": list_param("category", "Category slug; repeatable or comma-separated (any of)."),
                "venue": list_param("venue", "Venue id; repeatable or comma-separated (any of)."),
                "source": list_param("source", "Source id; repeatable or comma-separated (any of)."),
                "territory": list_param("territory", "Territory id (/api/v1/territories); repeatable or comma-separated (any of). An unknown id is a 400."),
                "near": string_param("near", "`lat,lon`: events within `radius_km` of this point."),
                "radius_km": {"name": "radius_km", "in": "query", "required": false,
                              "description": "Distance for `near`, in km (default 10).",
                              "schema": {"type": "number"}},
                "bbox": string_param("bbox", "`minlon,minlat,maxlon,maxlat`."),
                "lang": {"name": "lang", "in": "query", "required": false,
                         "description": "Language of titles and descriptions (translations where known, else the original).",
                         "schema": {"type": "string", "enum": langs}},
                "limit": {"name": "limit", "in": "query", "required": false,
                          "description": "Events per page, 1 to 1000 (default 50).",
                          "schema": {"type": "integer"}},
                "cursor": string_param("cursor", "The `next_cursor` of the previous page.")
            },
            "schemas": {
                "EventsPage": {
                    "type": "object",
                    "required": ["events", "next_cursor", "total"],
                    "additionalProperties": false,
                    "properties": {
                        "events": {"type": "array", "items": reference("Event")},
                        "next_cursor": nullable("string"),
                        "total": {"type": "integer", "description": "Every match across all pages."}
                    }
                },
                "Event": {
                    "type": "object",
                    "required": ["id", "series_id", "title", "description", "start", "end",
                                 "all_day", "timezone", "status", "url", "image", "categories",
                                 "language", "translations", "venue", "sources", "territories",
                                 "updated_at"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string", "description": "Stable id of this occurrence."},
                        "series_id": nullable("string"),
                        "title": {"type": "string"},
                        "description": {"type": ["string", "null"], "description": "Plain text."},
                        "description_html": {"type": ["string", "null"], "description": "Sanitized HTML, when the source's description had markup."},
                        "start": {"type": "string", "format": "date-time", "description": "With the offset of the event's own zone."},
                        "end": {"type": ["string", "null"], "format": "date-time", "description": "Exclusive; null when no source gives one."},
                        "all_day": {"type": "boolean"},
                        "timezone": {"type": "string", "description": "IANA zone name."},
                        "status": {"type": "string", "enum": ["scheduled", "cancelled", "postponed"]},
                        "url": nullable("string"),
                        "image": nullable("string"),
                        "categories": {"type": "array", "items": {"type": "string"}},
                        "language": nullable("string"),
                        "translations": {"type": "object", "additionalProperties": reference("Translation")},
                        "venue": {"oneOf": [reference("Venue"), {"type": "null"}]},
                        "sources": {"type": "array", "items": reference("SourceRef")},
                        "territories": {"type": "array", "items": {"type": "string"},
                                        "description": "The territories its venue lies in (point in polygon, else its municipality)."},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "sequence": {"type": "integer", "description": "Grows on every published change (iCalendar SEQUENCE)."},
                        "organizer": nullable("string"),
                        "price": nullable("string")
                    }
                },
                "Calendar": {
                    "type": "object",
                    "required": ["id", "name", "languages", "hosts", "url", "accent", "logo", "intro"],
                    "additionalProperties": false,
                    "properties": {
                        "id": nullable("string"),
                        "name": {"type": "string"},
                        "languages": {"type": "array", "items": {"type": "string"}},
                        "hosts": {"type": "array", "items": {"type": "string"}},
                        "url": {"type": "string", "description": "Its portal."},
                        "accent": {"type": ["string", "null"], "description": "`#rgb` or `#rrggbb`."},
                        "logo": nullable("string"),
                        "intro": {"type": ["object", "null"], "additionalProperties": {"type": "string"}}
                    }
                },
                "Territory": {
                    "type": "object",
                    "required": ["id", "name"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "object", "additionalProperties": {"type": "string"}}
                    }
                },
                "Translation": {
                    "type": "object",
                    "required": ["title", "description"],
                    "additionalProperties": false,
                    "properties": {
                        "title": {"type": "string"},
                        "description": nullable("string")
                    }
                },
                "Venue": {
                    "type": "object",
                    "required": ["id", "name", "address", "city", "lat", "lon"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "address": nullable("string"),
                        "city": nullable("string"),
                        "lat": nullable("number"),
                        "lon": nullable("number"),
                        "precision": precision()
                    }
                },
                "VenueCount": {
                    "type": "object",
                    "required": ["id", "name", "address", "city", "lat", "lon", "events"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "address": nullable("string"),
                        "city": nullable("string"),
                        "lat": nullable("number"),
                        "lon": nullable("number"),
                        "precision": precision(),
                        "events": {"type": "integer"}
                    }
                },
                "SourceRef": {
                    "type": "object",
                    "required": ["source", "uid", "url"],
                    "additionalProperties": false,
                    "properties": {
                        "source": {"type": "string"},
                        "uid": {"type": "string", "description": "The record's identity in that source."},
                        "url": nullable("string")
                    }
                },
                "Source": {
                    "type": "object",
                    "required": ["id", "name", "kind", "url", "status", "last_fetch_at",
                                 "last_success_at", "last_error", "events", "next_run"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "kind": {"type": ["string", "null"], "enum": kinds},
                        "url": {"type": "string"},
                        "status": {"type": "string", "enum": ["ok", "error", "never"]},
                        "last_fetch_at": nullable_format("string", "date-time"),
                        "last_success_at": nullable_format("string", "date-time"),
                        "last_error": nullable("string"),
                        "error_class": nullable("string"),
                        "events": {"type": "integer"},
                        "next_run": nullable_format("string", "date-time"),
                        "unmapped_categories": {
                            "type": "object",
                            "additionalProperties": {"type": "integer"},
                            "description": "Words the source gave as categories that map to no configured category, with how many of its records use each."
                        },
                        "warnings": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Problems of the last run that read the source (at most 50); the events that could be read are kept."
                        }
                    }
                },
                "Category": {
                    "type": "object",
                    "required": ["slug", "name", "events"],
                    "additionalProperties": false,
                    "properties": {
                        "slug": {"type": "string"},
                        "name": {"type": "object", "additionalProperties": {"type": "string"},
                                 "description": "Language code → name."},
                        "events": {"type": "integer"}
                    }
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "additionalProperties": false,
                    "properties": { "error": {"type": "string"} }
                },
                "ParamError": {
                    "type": "object",
                    "required": ["error", "parameter"],
                    "additionalProperties": false,
                    "properties": {
                        "error": {"type": "string"},
                        "parameter": {"type": "string", "enum": QUERY_PARAMETERS}
                    }
                },
                "Health": {
                    "type": "object",
                    "required": ["status"],
                    "additionalProperties": false,
                    "properties": {
                        "status": {"type": "string", "enum": ["ok", "error"]},
                        "error": {"type": "string"}
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{response_schema, validate};

    fn doc() -> Value {
        document(
            "https://agenda.example.org/",
            &["fr".into(), "en".into()],
            &["ics".into(), "feed".into()],
        )
    }

    #[test]
    fn every_ref_resolves_and_the_schemas_catch_what_they_should() {
        let doc = doc();
        // Every $ref in the document resolves.
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| refs(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 20);
        for r in all {
            let p = r.strip_prefix("#/").unwrap();
            assert!(
                p.split('/').try_fold(&doc, |v, k| v.get(k)).is_some(),
                "{r}"
            );
        }
        assert_eq!(doc["servers"][0]["url"], "https://agenda.example.org");
        let venue = json!({"id": "v", "name": "V", "address": null, "city": "Laval",
                           "lat": 45.5, "lon": null, "events": 3});
        let mut in_town = venue.clone();
        in_town["precision"] = json!("municipality");
        let schema = json!({"$ref": "#/components/schemas/VenueCount"});
        assert_eq!(validate(&doc, &schema, &in_town), Ok(()));
        in_town["precision"] = json!("street");
        assert!(validate(&doc, &schema, &in_town).is_err());
        let schema = json!({"$ref": "#/components/schemas/VenueCount"});
        assert_eq!(validate(&doc, &schema, &venue), Ok(()));
        let mut bad = venue.clone();
        bad["events"] = json!("3");
        bad["extra"] = json!(1);
        bad.as_object_mut().unwrap().remove("city");
        let errors = validate(&doc, &schema, &bad).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors.iter().any(|e| e.contains("\"city\" is a required")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("'extra' was unexpected")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.starts_with("/events:")),
            "{errors:?}"
        );
        let source_schema = json!({"$ref": "#/components/schemas/Source"});
        let source = json!({"id": "a", "name": "A", "kind": null, "url": "u", "status": "ok",
            "last_fetch_at": "2026-11-01T00:00:00Z", "last_success_at": "yesterday",
            "last_error": null, "events": 1, "next_run": null});
        let errors = validate(&doc, &source_schema, &source).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("/last_success_at:") && errors[0].contains("date-time"),
            "{errors:?}"
        );
        let mut source = source;
        source["last_success_at"] = Value::Null;
        source["status"] = json!("fine");
        let errors = validate(&doc, &source_schema, &source).unwrap_err();
        assert!(errors[0].starts_with("/status:"), "{errors:?}");
        // oneOf with null.
        let event_venue =
            json!({"oneOf": [{"$ref": "#/components/schemas/Venue"}, {"type": "null"}]});
        assert_eq!(validate(&doc, &event_venue, &Value::Null), Ok(()));
        assert!(validate(&doc, &event_venue, &json!({"id": "x"})).is_err());
        // Response schemas are found by path and status.
        assert_eq!(
            response_schema(&doc, "/api/v1/venues", 200),
            Some(&json!({"type": "array", "items": {"$ref": "#/components/schemas/VenueCount"}}))
        );
        assert!(response_schema(&doc, "/api/v1/nope", 200).is_none());
    }
}
