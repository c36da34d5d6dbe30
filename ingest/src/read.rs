//! One source run's reading half: fetch, detect, parse, follow links.
