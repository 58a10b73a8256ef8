"""Another 'courier' channel, with trylast: pluggy calls it after api_courier_a."""

import coffeechat


class Courier:
    name = "courier"
    address = "phone"
    can_send = True
    can_draft = False

    def send(self, message: coffeechat.Message) -> str:
        return f"courier c took it to {message.to}"

    def draft(self, message: coffeechat.Message) -> str:
        raise coffeechat.DeliveryError("--draft: no drafts")


@coffeechat.hookimpl(trylast=True)
def register_channels(register: coffeechat.RegisterChannel) -> None:
    register(Courier())
