use super::*;

/// A frame around a raw header block, with correct checksums computed here independently of
/// the encoder, so malformed header blocks can be fed to the decoder.
fn raw_frame(headers: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = (16 + headers.len() + payload.len()) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out.extend_from_slice(headers);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

/// A prelude (with a valid CRC) claiming the given lengths, and nothing after it.
fn prelude(total: u32, headers: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&headers.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

fn decode_all(bytes: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let mut frames = Vec::new();
    FrameDecoder::new().push(bytes, &mut frames)?;
    Ok(frames)
}

fn every_type() -> Frame {
    Frame {
        headers: vec![
            ("t".into(), HeaderValue::Bool(true)),
            ("f".into(), HeaderValue::Bool(false)),
            ("byte".into(), HeaderValue::Byte(-7)),
            ("short".into(), HeaderValue::Short(-300)),
            ("int".into(), HeaderValue::Int(70_000)),
            ("long".into(), HeaderValue::Long(-5_000_000_000)),
            ("bytes".into(), HeaderValue::Bytes(vec![0, 255, 1])),
            ("str".into(), HeaderValue::String("héllo".into())),
            ("ts".into(), HeaderValue::Timestamp(1_700_000_000_000)),
            ("id".into(), HeaderValue::Uuid(*b"0123456789abcdef")),
        ],
        payload: b"{\"k\":1}".to_vec(),
    }
}

fn three_frames() -> Vec<u8> {
    let mut bytes = Frame::event("assistantResponseEvent", &b"{\"content\":\"Hel\"}"[..])
        .encode()
        .unwrap();
    bytes.extend(every_type().encode().unwrap());
    bytes.extend(Frame::error("InternalError", "boom").encode().unwrap());
    bytes
}

#[test]
fn every_header_type_round_trips_byte_for_byte() {
    let frame = every_type();
    let bytes = frame.encode().unwrap();
    let decoded = decode_all(&bytes).unwrap();
    assert_eq!(decoded, vec![frame]);
    assert_eq!(decoded[0].encode().unwrap(), bytes);
}

#[test]
fn published_empty_message_vector() {
    // The empty frame from AWS's event-stream test suite: no headers, no payload.
    let bytes = [
        0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8,
        0xff,
    ];
    assert_eq!(decode_all(&bytes).unwrap(), vec![Frame::default()]);
    assert_eq!(Frame::default().encode().unwrap(), bytes);
}

#[test]
fn hand_written_frame() {
    // One string header `x: ab` and a JSON payload, laid out by hand.
    let headers = [0x01, b'x', 0x07, 0x00, 0x02, b'a', b'b'];
    let payload = br#"{"content":"hi"}"#;
    let mut bytes = vec![0x00, 0x00, 0x00, 0x27, 0x00, 0x00, 0x00, 0x07];
    let prelude_crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&prelude_crc.to_be_bytes());
    bytes.extend_from_slice(&headers);
    bytes.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&message_crc.to_be_bytes());
    assert_eq!(bytes.len(), 0x27);

    let frames = decode_all(&bytes).unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].header_str("x"), Some("ab"));
    assert_eq!(frames[0].payload, payload);
    assert_eq!(frames[0].event_type(), None);
}

#[test]
fn accessors_read_the_standard_headers() {
    let frame = Frame::event("toolUseEvent", Vec::new());
    assert_eq!(frame.event_type(), Some("toolUseEvent"));
    assert_eq!(frame.message_type(), Some("event"));
    assert_eq!(frame.content_type(), Some("application/json"));
    let frame = Frame::exception("ThrottlingException", Vec::new());
    assert_eq!(frame.exception_type(), Some("ThrottlingException"));
    assert_eq!(frame.message_type(), Some("exception"));
    let frame = Frame::error("E", "m");
    assert_eq!(frame.header_str(":error-message"), Some("m"));
    assert_eq!(every_type().header_str("int"), None, "not a string header");
}

#[test]
fn every_split_position_gives_the_same_frames() {
    let bytes = three_frames();
    let whole = decode_all(&bytes).unwrap();
    assert_eq!(whole.len(), 3);
    for cut in 0..=bytes.len() {
        let mut decoder = FrameDecoder::new();
        let mut frames = Vec::new();
        decoder.push(&bytes[..cut], &mut frames).unwrap();
        decoder.push(&bytes[cut..], &mut frames).unwrap();
        assert_eq!(frames, whole, "cut at {cut}");
        assert_eq!(decoder.pending_bytes(), 0);
    }
    // And one byte at a time.
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    for b in &bytes {
        decoder.push(std::slice::from_ref(b), &mut frames).unwrap();
    }
    assert_eq!(frames, whole);
}

#[test]
fn a_cut_stream_leaves_pending_bytes() {
    let bytes = three_frames();
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    decoder
        .push(&bytes[..bytes.len() - 3], &mut frames)
        .unwrap();
    assert_eq!(frames.len(), 2);
    assert!(decoder.pending_bytes() > 0);
}

#[test]
fn corruption_of_any_byte_is_detected() {
    let bytes = Frame::event("assistantResponseEvent", &b"{\"content\":\"x\"}"[..])
        .encode()
        .unwrap();
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = bytes.clone();
            bad[i] ^= bit;
            let err = decode_all(&bad).expect_err("corruption must not decode");
            assert!(
                matches!(
                    err,
                    FrameError::PreludeCrc { .. } | FrameError::MessageCrc { .. }
                ),
                "byte {i}: {err:?}"
            );
        }
    }
}

#[test]
fn frames_before_an_error_are_delivered_and_the_decoder_stays_failed() {
    let good = Frame::event("a", Vec::new()).encode().unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let mut stream = good.clone();
    stream.extend(&bad);
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    let err = decoder.push(&stream, &mut frames).unwrap_err();
    assert!(matches!(err, FrameError::MessageCrc { .. }));
    assert_eq!(frames.len(), 1);
    assert_eq!(decoder.push(&good, &mut frames), Err(err.clone()));
    assert_eq!(frames.len(), 1, "nothing after the failure");
    assert_eq!(decoder.error(), Some(&err));
    assert_eq!(decoder.pending_bytes(), 0);
}

#[test]
fn lengths_out_of_bounds() {
    // Checked from the prelude alone, before any of the (claimed) body arrives.
    let too_big = (MAX_FRAME_LEN + 1) as u32;
    assert_eq!(
        decode_all(&prelude(too_big, 0)),
        Err(FrameError::TooLarge(MAX_FRAME_LEN + 1))
    );
    // "Negative" lengths (the top bit set) are huge unsigned ones.
    assert!(matches!(
        decode_all(&prelude(0xffff_ffff, 0)),
        Err(FrameError::TooLarge(_))
    ));
    assert_eq!(
        decode_all(&prelude(100, 0xffff_fff0)),
        Err(FrameError::LengthOutOfBounds {
            total: 100,
            headers: 0xffff_fff0
        })
    );
    assert_eq!(
        decode_all(&prelude(8, 0)),
        Err(FrameError::LengthOutOfBounds {
            total: 8,
            headers: 0
        })
    );
    assert_eq!(
        decode_all(&prelude(30, 15)),
        Err(FrameError::LengthOutOfBounds {
            total: 30,
            headers: 15
        })
    );
    // The largest allowed frame is only waited for.
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    decoder
        .push(&prelude(MAX_FRAME_LEN as u32, 0), &mut frames)
        .unwrap();
    assert!(frames.is_empty());
}

#[test]
fn malformed_header_blocks() {
    let cases: [(&[u8], &str); 6] = [
        (&[0x00, 0x07], "empty header name"),
        (&[0x05, b'a'], "name runs past the header block"),
        (&[0x01, b'a'], "value type missing"),
        (&[0x01, b'a', 0x0a], "unknown value type"),
        (
            &[0x01, b'a', 0x07, 0x00, 0x09, b'x'],
            "value runs past the header block",
        ),
        (
            &[0x01, b'a', 0x07, 0x00, 0x01, 0xff],
            "string value is not UTF-8",
        ),
    ];
    for (block, reason) in cases {
        let err = decode_all(&raw_frame(block, b"")).unwrap_err();
        assert_eq!(err, FrameError::Header { offset: 0, reason }, "{block:?}");
    }
    // Offsets point at the failing header, past the good ones.
    let block = [0x01, b'a', 0x00, 0x01, b'b', 0x04, 0x00];
    assert_eq!(
        decode_all(&raw_frame(&block, b"")).unwrap_err(),
        FrameError::Header {
            offset: 3,
            reason: "value runs past the header block"
        }
    );
}

#[test]
fn unencodable_frames_are_refused() {
    let long_name = Frame {
        headers: vec![("n".repeat(256), HeaderValue::Bool(true))],
        payload: Vec::new(),
    };
    assert!(matches!(
        long_name.encode(),
        Err(FrameError::Unencodable(_))
    ));
    let long_value = Frame {
        headers: vec![("n".into(), HeaderValue::Bytes(vec![0; 65_536]))],
        payload: Vec::new(),
    };
    assert!(matches!(
        long_value.encode(),
        Err(FrameError::Unencodable(_))
    ));
    let huge = Frame {
        headers: Vec::new(),
        payload: vec![0; MAX_FRAME_LEN],
    };
    assert!(matches!(huge.encode(), Err(FrameError::TooLarge(_))));
}
