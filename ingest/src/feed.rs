//! The `feed` source kind.
use crate::{ParseContext, ParseError, Parsed};

/// Parse one document of this kind.
pub fn parse(bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
    let _ = (bytes, ctx);
    Ok(Parsed::default())
}
