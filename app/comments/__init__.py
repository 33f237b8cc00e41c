"""Comments on published posts."""
