"""A plugin that brings message templates: the api_templates/ folder next to it."""

import os

import coffeechat


@coffeechat.hookimpl
def register_template_dirs(register: coffeechat.RegisterTemplateDir) -> None:
    register(os.path.join(os.path.dirname(__file__), "api_templates"))
