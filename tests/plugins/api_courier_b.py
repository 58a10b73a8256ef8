"""Another 'courier' channel: registered after api_courier_a, pluggy calls it first."""

import coffeechat


class Courier:
    name = "courier"
    address = "phone"
    can_send = True
    can_draft = False

    def send(self, message: coffeechat.Message) -> str:
        return f"courier b took it to {message.to}"

    def draft(self, message: coffeechat.Message) -> str:
        raise coffeechat.DeliveryError("--draft: no drafts")


@coffeechat.hookimpl
def register_channels(register: coffeechat.RegisterChannel) -> None:
    register(Courier())
