"""Data protection in practice: notices, the record of processing, retention and subject access."""
