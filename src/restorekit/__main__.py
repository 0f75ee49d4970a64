"""`python -m restorekit` runs the CLI."""

import sys

from restorekit.cli.main import main

sys.exit(main())
