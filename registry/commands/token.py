"""`registry token`: create, list and revoke API tokens."""

from __future__ import annotations

import click

from registry.commands.common import open_services


@click.group()
def token() -> None:
    """Create, list and revoke API tokens (reads are public; writes need a token)."""


@token.command("create")
@click.option("--role", required=True, type=click.Choice(["lead", "architect", "office",
                                                         "admin"]),
              help="lead: projects of its organisations; architect: the catalogue; "
                   "office: any project; admin: everything.")
@click.option("--org", "orgs", multiple=True, metavar="ORGANISATION",
              help="Organisation (concept id) whose projects a lead may write; repeatable.")
@click.option("--expires", type=click.IntRange(1, 3650), metavar="DAYS",
              help="Days until the token expires (default: never).")
@click.option("--name", default="", help="Who or what the token is for (shown in the audit).")
def token_create(role: str, orgs: tuple[str, ...], expires: int | None, name: str) -> None:
    """Create a token; its secret is printed once, as the last line."""
    from registry.storage.tokens import create_token

    services = open_services()
    known = services.snapshots.get().concepts.get("organisations", {})
    unknown = [o for o in orgs if o not in known]
    if unknown:
        raise click.BadParameter(f"unknown organisation {unknown[0]!r}; see "
                                 "/vocabularies/organisations", param_hint="--org")
    try:
        secret, info = create_token(services.store, role=role, organisations=list(orgs),
                                    name=name or f"{role} token", expires_days=expires)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    expiry = info["expires_at"].date().isoformat() if info["expires_at"] else "never"
    click.echo(f"token {info['id']} for {info['name']}: role {role}, organisations "
               f"{', '.join(orgs) or '-'}, expires {expiry}. Keep the secret below: it is "
               "not shown again.")
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    from registry.storage.tokens import list_tokens

    for t in list_tokens(open_services().store):
        state = "revoked" if t["revoked_at"] else "active"
        expiry = t["expires_at"].date().isoformat() if t["expires_at"] else "never"
        click.echo(f"{t['id']}  {t['role']:<9}  {state:<7}  expires {expiry:<10}  "
                   f"{','.join(t['organisations']) or '-':<24}  {t['name']}")


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id: str) -> None:
    """Revoke the token TOKEN_ID (the id shown by `registry token list`)."""
    from registry.storage.tokens import revoke_token

    if not revoke_token(open_services().store, token_id):
        raise click.ClickException(f"no active token {token_id!r}")
    click.echo(f"revoked token {token_id}")
