"""`python -m desk`, and the bundle's entry point (build.spec): the same as the `frontdesk` command."""

import sys

from desk.app import main

if __name__ == "__main__":
    sys.exit(main())
