"""Mining: the records no pattern recognised → templates (Drain3) → draft patterns."""
