"""``flask lettr ...``: check the configuration, send a test message, audit the code.

Registered on every app by :meth:`lettr_flask.Mail.init_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from lettr_core import LettrError
from lettr_core.config import mask_secret

from .connection import new_smtp_transport
from .message import Message


def _state() -> Any:
    state = current_app.extensions.get("mail")
    if state is None or not hasattr(state, "lettr_config"):
        raise click.ClickException("this app has no lettr_flask.Mail: call Mail(app) first")
    return state


@click.group("lettr")
def lettr_group() -> None:
    """Lettr mail: check the setup, send a test message, audit SMTP use."""


@lettr_group.command("check")
@click.option("--smtp/--no-smtp", default=None,
              help="also open an SMTP session (default: when SMTP may be used)")
@with_appcontext
def check_command(smtp: bool | None) -> None:
    """Show the mail configuration, check the API key and the SMTP login."""
    state = _state()
    config = state.lettr_config
    click.echo(f"transport: {config.transport} (API share {config.api_percent:g}%)")
    click.echo(f"API: {config.api_url} key={mask_secret(config.api_key) or 'not set'}")
    click.echo(
        f"SMTP: {config.smtp_host}:{config.smtp_port} security={config.smtp_security} "
        f"fallback={'on' if config.fallback_to_smtp else 'off'}"
    )
    click.echo(f"suppress: {bool(state.suppress)} default sender: {state.default_sender}")
    if state.api_transport is None:
        click.echo("API key: not set, mail goes through SMTP")
    else:
        try:
            data = state.mailer.check_auth()
        except LettrError as error:
            raise click.ClickException(f"API key check failed: {error}") from None
        click.echo(f"API key: valid (team {data.get('team_id')})")
    if smtp or (smtp is None and _smtp_in_use(config)):
        _check_smtp(config)


def _smtp_in_use(config: Any) -> bool:
    """Whether any message may take the SMTP door with this configuration."""
    return bool(
        config.transport == "smtp" or config.api_percent < 100 or config.fallback_to_smtp
    )


def _check_smtp(config: Any) -> None:
    transport = new_smtp_transport(config)
    try:
        transport.open()
    except LettrError as error:
        raise click.ClickException(f"SMTP check failed: {error}") from None
    finally:
        transport.close()
    click.echo(f"SMTP: connected to {config.smtp_host}:{config.smtp_port}")


@lettr_group.command("send-test")
@click.argument("recipient")
@click.option("--sender", "--from", "sender", default=None, help="default: MAIL_DEFAULT_SENDER")
@click.option("--subject", default="lettr-mail test message", show_default=True)
@click.option("--transport", type=click.Choice(["api", "smtp"]), default=None,
              help="force a door (default: the router's choice)")
@with_appcontext
def send_test_command(
    recipient: str, sender: str | None, subject: str, transport: str | None
) -> None:
    """Send a test message to RECIPIENT now (even when sending is suppressed)."""
    state = _state()
    message = Message(
        subject=subject,
        recipients=[recipient],
        sender=sender or state.default_sender,
        body="This is a test message sent by `flask lettr send-test`.",
        lettr_transport=transport,
    )
    if not message.sender:
        raise click.ClickException("no sender: pass --sender or set MAIL_DEFAULT_SENDER")
    connection = state.connect()
    try:
        result = connection.deliver(message)
    except LettrError as error:
        raise click.ClickException(f"sending failed: {error}") from None
    finally:
        connection.close()
    click.echo(
        f"sent via {result.transport}: request_id={result.request_id} "
        f"accepted={result.accepted} rejected={result.rejected}"
    )


@lettr_group.command("audit")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--strict", is_flag=True, help="exit with status 1 when a blocker is found")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="leave out files/directories matching GLOB; repeatable")
@with_appcontext
def audit_command(path: str | None, fmt: str, strict: bool, exclude: tuple[str, ...]) -> None:
    """Report SMTP use in PATH (default: the app's root) and what the switch needs."""
    try:
        from lettr_core.audit.cli import run_for_app_root
    except ImportError:
        raise click.ClickException(
            "the audit is not available in this version of lettr-mail (lettr_core.audit)"
        ) from None
    root = Path(path) if path else Path(current_app.root_path)
    code = run_for_app_root(root, fmt, strict, exclude=exclude)
    raise SystemExit(int(code or 0))
