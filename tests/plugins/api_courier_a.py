"""A 'courier' channel that addresses the phone number (its twin in api_courier_b)."""

import coffeechat


class Courier:
    name = "courier"
    address = "phone"
    can_send = True
    can_draft = False

    def __init__(self, who: str) -> None:
        self.who = who

    def send(self, message: coffeechat.Message) -> str:
        return f"{self.who} took it to {message.to}"

    def draft(self, message: coffeechat.Message) -> str:
        raise coffeechat.DeliveryError("--draft: no drafts")


@coffeechat.hookimpl
def register_channels(register: coffeechat.RegisterChannel) -> None:
    register(Courier("courier a"))
