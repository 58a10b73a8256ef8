"""A new-style wrapper around compose_message: every message gets a signature line;
API_SIGNATURE=raise makes the part after the yield fail."""

import os

import coffeechat


@coffeechat.hookimpl(wrapper=True)
def compose_message():
    message = yield
    if os.environ.get("API_SIGNATURE") == "raise":
        raise RuntimeError("the signature is broken on purpose")
    if message is not None:
        message.body += "-- sent with coffeechat\n"
    return message
