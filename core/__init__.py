"""Helpers with no knowledge of papers or subscribers: the email builder, the file email backend, chunking."""
