//! IP access control (SPEC §6): allow and deny lists of CIDR blocks or single addresses, IPv4 and
//! IPv6, parsed once when the settings change so the request path only compares bits.

use std::net::IpAddr;

/// One `address/prefix` block; a bare address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `fd00::/8`, `192.0.2.7` or `::1`. An IPv4-mapped IPv6 block
    /// (`::ffff:10.0.0.0/104`) becomes the IPv4 block it denotes, since peers are compared in
    /// their canonical form.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (raw, None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        let max = max_prefix(addr);
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|p| *p <= max)?
            }
            Some(_) => return None,
            None => max,
        };
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) if prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
                _ => (addr, prefix),
            },
            IpAddr::V4(_) => (addr, prefix),
        };
        Some(Self {
            network: mask(addr, prefix),
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.network, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.network
            }
            _ => false,
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `addr` with every bit after the first `prefix` cleared.
fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let keep = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & keep).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let keep = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & keep).into())
        }
    }
}

/// The parsed `security.ipAllow` / `security.ipDeny` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpRules {
    allow: Vec<Cidr>,
    deny: Vec<Cidr>,
}

/// An entry of an IP list that is neither an address nor a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "security.{list}: '{entry}' is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)"
)]
pub struct BadEntry {
    pub list: &'static str,
    pub entry: String,
}

impl IpRules {
    pub fn parse(allow: &[String], deny: &[String]) -> Result<Self, BadEntry> {
        let parse_list = |list: &'static str, entries: &[String]| {
            entries
                .iter()
                .map(|entry| {
                    Cidr::parse(entry).ok_or_else(|| BadEntry {
                        list,
                        entry: entry.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            allow: parse_list("ipAllow", allow)?,
            deny: parse_list("ipDeny", deny)?,
        })
    }

    /// Deny wins; an empty allow list lets everyone else in.
    pub fn permits(&self, ip: IpAddr) -> bool {
        if self.deny.iter().any(|c| c.contains(ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|c| c.contains(ip))
    }

    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn rules(allow: &[&str], deny: &[&str]) -> IpRules {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        IpRules::parse(&own(allow), &own(deny)).unwrap()
    }

    #[test]
    fn ipv4_blocks_and_single_addresses() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains(ip("10.1.255.3")));
        assert!(!c.contains(ip("10.2.0.1")));
        // Host bits in the written block are ignored, as in most firewalls.
        assert!(
            Cidr::parse("192.168.1.77/24")
                .unwrap()
                .contains(ip("192.168.1.1"))
        );
        let single = Cidr::parse("203.0.113.9").unwrap();
        assert!(single.contains(ip("203.0.113.9")) && !single.contains(ip("203.0.113.8")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(!Cidr::parse("0.0.0.0/0").unwrap().contains(ip("::1")));
    }

    #[test]
    fn ipv6_blocks() {
        let c = Cidr::parse("fd00::/8").unwrap();
        assert!(c.contains(ip("fd12:3456::1")));
        assert!(!c.contains(ip("fe80::1")));
        assert!(Cidr::parse("[::1]").unwrap().contains(ip("::1")));
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8:ffff::1"))
        );
        assert!(!Cidr::parse("::/0").unwrap().contains(ip("127.0.0.1")));
    }

    #[test]
    fn ipv4_mapped_ipv6_compares_as_ipv4() {
        // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
        let v4_block = Cidr::parse("127.0.0.0/8").unwrap();
        assert!(v4_block.contains(ip("::ffff:127.0.0.1")));
        let mapped_block = Cidr::parse("::ffff:10.0.0.0/104").unwrap();
        assert_eq!(mapped_block, Cidr::parse("10.0.0.0/8").unwrap());
        assert!(mapped_block.contains(ip("10.9.8.7")));
        assert!(mapped_block.contains(ip("::ffff:10.9.8.7")));
        assert!(!mapped_block.contains(ip("11.0.0.1")));
    }

    #[test]
    fn malformed_entries_are_refused() {
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
            "host.example",
            "10.0.0.0/ 8",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad:?}");
        }
        let err = IpRules::parse(&[], &["10.0.0.0/33".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "security.ipDeny: '10.0.0.0/33' is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8)"
        );
    }

    #[test]
    fn deny_wins_and_empty_allow_admits_everyone() {
        let open = rules(&[], &[]);
        assert!(open.is_empty() && open.permits(ip("198.51.100.1")));
        let denied = rules(&[], &["198.51.100.0/24"]);
        assert!(!denied.permits(ip("198.51.100.1")) && denied.permits(ip("198.51.101.1")));
        let allowed = rules(&["10.0.0.0/8", "::1"], &["10.0.0.5"]);
        assert!(allowed.permits(ip("10.3.3.3")));
        assert!(allowed.permits(ip("::1")));
        assert!(!allowed.permits(ip("10.0.0.5")), "deny wins over allow");
        assert!(!allowed.permits(ip("127.0.0.1")), "not on the allow list");
    }
}
