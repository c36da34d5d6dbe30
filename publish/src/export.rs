//! `babillard export`: the publication as static files (being written).
