"""Notes in a file each time it is imported, to show when plugins are (not) loaded."""

import os

with open(os.environ["IMPORT_LOG"], "a") as log:
    log.write("imported\n")
