"""Helpers shared by tests: a real SMTP server, Celery worker plumbing, waiting, accessibility audits, screenshots."""
