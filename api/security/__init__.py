"""Security primitives: password hashing and session tokens."""
