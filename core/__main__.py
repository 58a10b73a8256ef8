"""``python -m coffeechat``: the command line.

This launcher is the one place core names the CLI; the library itself never
imports it.
"""

from coffeechat.cli.launch import main

if __name__ == "__main__":
    main()
