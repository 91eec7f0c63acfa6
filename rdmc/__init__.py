"""rdmc."""
