"""Reliability: real gunicorn servers killed under load, and concurrent writers."""
