"""Mail delivery: the SMTP (or log) transport and the background worker that empties the outbox."""
