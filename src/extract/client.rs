//! The client's address: the peer, unless the peer is a trusted proxy, in which case the
//! nearest untrusted address of `X-Forwarded-For`. Whatever else a header says is ignored.

use std::net::IpAddr;

use actix_web::HttpRequest;

pub fn client_addr(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<IpAddr>())
        .collect::<Vec<_>>();
    // Walk from the nearest hop outwards; stop at the first one we do not trust.
    for hop in forwarded.iter().rev() {
        match hop {
            Ok(ip) if trusted_proxies.contains(ip) => continue,
            Ok(ip) => return *ip,
            Err(_) => return peer,
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
}
