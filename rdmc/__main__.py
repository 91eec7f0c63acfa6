import sys

from rdmc.cli import main

sys.exit(main())
