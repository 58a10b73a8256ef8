"""Plugin commands that report errors over several lines, or print without flushing."""

import click

from coffeechat import hookimpl


@click.command("two-lines")
def two_lines():
    """Fail with a click error of two lines (a test plugin command)."""
    raise click.ClickException("line one\nline two")


@click.command("two-lines-usage")
def two_lines_usage():
    """Fail with a usage error of several lines, one holding an escape (a test plugin command)."""
    raise click.UsageError("first\r\n\n\x1b[31msecond\u2028third")


@click.command("prints")
@click.argument("count", type=int, default=1)
def prints(count):
    """Print COUNT lines with print(), leaving them in stdout's buffer (a test plugin command)."""
    for number in range(count):
        print(f"line {number}")


@click.command("pipe-breaks")
def pipe_breaks():
    """Fail as a write to a closed pipe does (a test plugin command)."""
    raise BrokenPipeError(32, "Broken pipe")


@click.command("pipe-to-child")
def pipe_to_child():
    """Write into a child process that has exited: the plugin's own pipe breaks (a test)."""
    import subprocess

    child = subprocess.Popen(["true"], stdin=subprocess.PIPE)
    child.wait()
    print("before the child's pipe")
    child.stdin.write(b"x" * 200_000)
    child.stdin.flush()


@hookimpl
def register_commands(cli):
    for command in (two_lines, two_lines_usage, prints, pipe_breaks, pipe_to_child):
        cli.add_command(command)
