"""`python -m api.cli`: the same as the `usergraph` console script."""

import sys

from api.cli import main

sys.exit(main())
