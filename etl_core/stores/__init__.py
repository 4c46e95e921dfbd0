"""Stores: object stores, deduplication stores and the record history."""
