"""`template list|show|render`: the message templates."""

from __future__ import annotations

import click

from coffeechat.cli.completion import complete_contact
from coffeechat.cli.main import context_app, json_option, output


@click.group("template")
def template_group() -> None:
    """Message templates: the built-in ones, yours, and plugins'."""


@template_group.command("list")
@json_option
def list_templates() -> None:
    """Every template, and where it comes from (yours override the built-in ones)."""
    from coffeechat.cli.render import table
    from coffeechat.plugins.templates import available

    app = context_app()
    found = available(app.plugins().template_dirs())
    if app.json:
        output([{"name": t.name, "source": t.source, "path": t.path} for t in found.values()])
        return
    table(["NAME", "FROM", "PATH"], [[t.name, t.source, t.path] for t in found.values()])


@template_group.command("show")
@click.argument("name")
def show_template(name: str) -> None:
    """Print a template's source."""
    from coffeechat.errors import BadInput
    from coffeechat.plugins.templates import available
    from coffeechat.template_sandbox import TemplateError, TemplateFileError, read_template_file

    found = available(context_app().plugins().template_dirs()).get(name)
    if found is None:
        raise BadInput(f"NAME: no template {name!r} (see `coffeechat template list`)")
    try:
        text = read_template_file(found.path)  # (a regular file, not too big: as rendering)
    except TemplateFileError as error:
        raise TemplateError(f"template {name!r}: {error.message}") from None
    click.echo(text, nl=False)


@template_group.command("render")
@click.argument("name")
@click.argument("contact", shell_complete=complete_contact)
@json_option
def render_template(name: str, contact: str) -> None:
    """Render a template for CONTACT (nothing is sent or recorded)."""
    from coffeechat.errors import BadInput
    from coffeechat.resolve import resolve_contact

    app = context_app()
    store = app.current()
    contact_id = resolve_contact(store.conn, contact)
    state = app.projector().fold_stream("contact:" + contact_id)
    # Composed through the plugins, as `ask --template NAME` is (`thank` and
    # `checkin` as those kinds): a plugin that renders templates answers here too.
    kind = name if name in ("thank", "checkin") else "ask"
    message = app.plugins().compose_message(kind, state, state.email, name == "nudge", name,
                                            store)
    if message is None:
        raise BadInput(f"NAME: no installed plugin renders {name!r}")
    if app.json:
        output({"template": name, "contact": contact_id, "subject": message.subject,
                "body": message.body})
    else:
        from coffeechat.cli.render import inline, inline_lines

        # (made from the contact's fields, which the log may hold unchecked)
        click.echo(f"Subject: {inline(message.subject, None)}\n\n"
                   f"{inline_lines(message.body)}", nl=False)
