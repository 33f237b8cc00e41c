"""Inkwell: a contract-first publishing API."""
