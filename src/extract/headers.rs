//! Security headers on every response (DESIGN §5): a strict CSP with no inline script, and
//! HSTS behind TLS.

use actix_web::middleware::DefaultHeaders;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sent when `BASE_URL` is https: browsers then never try the service over plain http for a
/// year. No `includeSubDomains`: the city's other hosts are not ours to decide for.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// The headers, with HSTS when the service is reached over TLS (`behind_tls`).
pub fn security_headers(behind_tls: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new();
    let headers = if behind_tls {
        headers.add(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    } else {
        headers
    };
    headers
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        // Tracking codes are in URLs: never send them to another site.
        .add(("Referrer-Policy", "no-referrer"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add(("Cache-Control", "no-store"))
}
