"""A channel whose delivery breaks in its own way (not a DeliveryError)."""

from coffeechat import hookimpl


class Pigeon:
    name = "pigeon"
    can_send = True
    can_draft = False

    def send(self, message):
        raise ConnectionResetError("the pigeon flew off")

    def draft(self, message):
        raise NotImplementedError


@hookimpl
def register_channels(register):
    register(Pigeon())
