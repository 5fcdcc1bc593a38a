"""moto_server with hoist's moto fixes loaded: `python3 -m hoist_moto_server -H HOST -p PORT`.

The same arguments as `python3 -m moto.server`; see hoist_moto_fixes for what is fixed.
"""

import hoist_moto_fixes  # noqa: F401  (patches moto on import; fails loudly on another moto)
from moto.server import main

if __name__ == "__main__":
    main()
