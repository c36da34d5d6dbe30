//! iCalendar (RFC 5545) parser: bytes in, [`RawEvent`]s out.
use crate::{ParseError, Parsed};

/// Parse an iCalendar document. `content_type` may carry a charset.
pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Parsed, ParseError> {
    let _ = (bytes, content_type);
    unimplemented!("ics::parse")
}
