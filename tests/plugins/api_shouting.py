"""compose_message for template names that end in '!': the plugin renders those itself."""

import coffeechat


@coffeechat.hookimpl
def compose_message(kind, state, to, template):
    if not template or not template.endswith("!"):
        return None
    return coffeechat.Message(kind=kind, contact=state.id, name=state.name, to=to,
                              subject=template.upper(), body=f"HELLO {state.name.upper()}\n")
