//! The client's address: the peer, unless the peer is a trusted proxy, in which case the
//! nearest untrusted address of `X-Forwarded-For` (hops with ports and brackets read as
//! proxies write them). Whatever else a header says is ignored. IPv4-mapped IPv6
//! addresses are read as the IPv4 addresses they are, peers and proxies alike.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as a dual-stack socket reports an IPv4
/// peer) is the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// One `X-Forwarded-For` hop as proxies write them: `1.2.3.4`, `1.2.3.4:5678`,
/// `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port_ok = after.is_empty()
            || after
                .strip_prefix(':')
                .is_some_and(|p| p.parse::<u16>().is_ok());
        return port_ok
            .then(|| inside.parse::<std::net::Ipv6Addr>().ok())
            .flatten()
            .map(|v6| canonical(IpAddr::V6(v6)));
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

pub fn client_addr(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = canonical(
        req.peer_addr()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0])),
    );
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|t| canonical(*t) == *ip);
    if !trusted(&peer) {
        return peer;
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_hop)
        .collect::<Vec<_>>();
    // Walk from the nearest hop outwards; stop at the first one we do not trust.
    for hop in forwarded.iter().rev() {
        match hop {
            Some(ip) if trusted(ip) => continue,
            Some(ip) => return *ip,
            None => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4, 5.6.7.8"))
            .to_http_request();
        assert_eq!(
            client_addr(&req, &[proxy]),
            "5.6.7.8".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_addr(&req, &[]), proxy);
        let spoofed = TestRequest::default()
            .peer_addr("9.9.9.9:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "1.2.3.4"))
            .to_http_request();
        assert_eq!(
            client_addr(&spoofed, &[proxy]),
            "9.9.9.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn hops_with_ports_or_brackets_and_mapped_peers_are_read() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for (hop, read) in [
            ("1.2.3.4:5678", Some("1.2.3.4")),
            (" [2001:db8::1]:443", Some("2001:db8::1")),
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("::ffff:1.2.3.4", Some("1.2.3.4")),
            ("[::ffff:1.2.3.4]:80", Some("1.2.3.4")),
            ("1.2.3.4:99999", None),
            ("[2001:db8::1]x", None),
            ("[1.2.3.4]:80", None),
            ("unknown", None),
            ("", None),
        ] {
            assert_eq!(parse_hop(hop), read.map(ip), "{hop:?}");
        }
        // A proxy reaching a dual-stack socket over IPv4 shows up IPv4-mapped.
        let req = TestRequest::default()
            .peer_addr("[::ffff:10.0.0.1]:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "[2001:db8::7]:1234, 10.0.0.2:80"))
            .to_http_request();
        assert_eq!(
            client_addr(&req, &[ip("10.0.0.1"), ip("10.0.0.2")]),
            ip("2001:db8::7")
        );
        assert_eq!(client_addr(&req, &[]), ip("10.0.0.1"));
    }
}
