"""Backups of the whole site in one file, and restoring them on a fresh install.

One `.tar.gz` holds `manifest.json` (format, release, database engine, applied migrations),
`data.jsonl` (every table as Django serializes it; tokens as Fernet ciphertext) and, only
when a passphrase was given, `keys.enc` (FIELD_ENCRYPTION_KEYS wrapped by it).
"""
