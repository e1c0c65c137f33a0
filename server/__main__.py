"""`python -m server` is `frontdesk-server`."""

import sys

from server.cli import main

if __name__ == "__main__":  # importing this module (e.g. walking the package) must not run the CLI
    sys.exit(main())
