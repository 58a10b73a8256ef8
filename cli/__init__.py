"""The command-line interface (click). Thin: parse, call core, render."""
