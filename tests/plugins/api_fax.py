"""A channel whose address is not a contact field: refused when registered."""

import coffeechat


class Fax:
    name = "fax"
    address = "fax"
    can_send = True
    can_draft = False

    def send(self, message):
        return "beep"

    def draft(self, message):
        raise coffeechat.DeliveryError("no")


@coffeechat.hookimpl
def register_channels(register):
    register(Fax())
