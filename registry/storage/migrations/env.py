"""Alembic environment: runs on the connection the registry hands over."""

from alembic import context

from registry.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the registry always passes one
    raise RuntimeError("run migrations through `registry db upgrade`")

context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
