"""Prefix data for reject-asn: the on-disk cache, sources and validation."""
