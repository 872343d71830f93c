//! The `net_packet` fuzz target's seeds (`fuzz/src/seeds.rs`) replayed: each seed's outcome is
//! asserted (frames and records, or the refusal), then deterministic mutations of every seed
//! (every truncation, byte flips) must give a bounded result or a reason, never a panic.

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use ferret_net::fuzz_packet;

fn outcome(data: &[u8]) -> String {
    match fuzz_packet(data) {
        Ok((frames, records)) => format!("{frames} frames, {records} records"),
        Err(e) => format!("refused: {e}"),
    }
}

#[test]
fn net_packet_seeds_have_their_outcomes() {
    let got: Vec<String> = seeds::seeds("net_packet").iter().map(|s| outcome(s)).collect();
    let want = [
        // Ethernet DNS query: a UDP flow and the unanswered query
        "2 frames, 2 records",
        // raw-IP ClientHello (no SYN seen): the flow, the TLS record
        "2 frames, 2 records",
        // raw-IP HTTP request: the flow, the HTTP record
        "2 frames, 2 records",
        // Linux cooked v2 DNS query
        "2 frames, 2 records",
        // radiotap + 802.11 QoS data + ClientHello
        "2 frames, 2 records",
        // a ClientHello cut at 50 bytes: the flow only
        "2 frames, 1 records",
        // a pcap of DNS, SYN, ClientHello, HTTP: 2 TCP flows, 1 UDP flow, the query, TLS, HTTP
        "4 frames, 6 records",
        // the same pcap cut inside its last packet: three frames read (no HTTP flow)
        "3 frames, 4 records",
        "refused: not a pcap or pcapng capture",
        "refused: unknown link selector",
        // decrypted QUIC Initial frames: two CRYPTO frames, the ClientHello found
        "2 frames, 1 records",
    ];
    assert_eq!(got, want);
}

#[test]
fn mutated_net_packets_stay_bounded() {
    let mut checked = 0u64;
    for seed in seeds::seeds("net_packet") {
        let mut inputs: Vec<Vec<u8>> = (0..seed.len()).map(|n| seed[..n].to_vec()).collect();
        for i in (1..seed.len()).step_by(3) {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut m = seed.clone();
                m[i] ^= flip;
                inputs.push(m);
            }
        }
        for m in inputs {
            match fuzz_packet(&m) {
                // records: at most a flow, a DNS/TLS/HTTP record per frame, and beacons (none
                // with so few frames)
                Ok((frames, records)) => assert!(records as u64 <= frames * 2 + 1, "{frames} {records} {m:?}"),
                Err(e) => assert!(!e.is_empty()),
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// A generated QUIC Initial decrypts into its ClientHello; every truncation is refused or
/// read without panic, and a change of any byte after the header is caught by the GCM tag.
#[test]
fn quic_initials_are_authenticated() {
    use ferret_net::quic::initial_crypto;
    let hello = ferret_testdata::pcap::client_hello(Some("q.example"), &["h3"], true);
    let pkt = ferret_testdata::pcap::quic_initial(&[1, 2, 3, 4, 5, 6, 7, 8], &[9; 8], 0, 0, &hello[5..]);
    assert_eq!(pkt.len(), 1200);
    let frames = initial_crypto(&pkt).expect("decrypts");
    assert_eq!(frames, vec![(0, hello[5..].to_vec())]);
    for n in 0..pkt.len() {
        assert_eq!(initial_crypto(&pkt[..n]), None, "cut at {n}");
    }
    // the header up to the packet number is 26 bytes; from there on every byte is protected
    for i in (26..pkt.len()).step_by(7) {
        let mut m = pkt.clone();
        m[i] ^= 0x20;
        assert_eq!(initial_crypto(&m), None, "byte {i}");
    }
    // another connection ID derives other keys
    let mut other = pkt.clone();
    other[6] ^= 1;
    assert_eq!(initial_crypto(&other), None);
}
