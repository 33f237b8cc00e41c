"""Posts: drafts, publishing, reading, with ETags and keyset pagination."""
