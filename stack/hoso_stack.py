"""Start, stop and inspect the local hoso stack (Kafka, FerretDB, S3Proxy, Keycloak, apps).

The stack itself is the package stack/stackctl; supervisord runs its parts.
"""

import sys

from stackctl.cli import main

if __name__ == "__main__":
    sys.exit(main())
