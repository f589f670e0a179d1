import sys

from gwmap.cli import main

sys.exit(main())
