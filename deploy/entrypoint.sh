#!/bin/sh
# Migrate the service's own database, then run it in the foreground (PID 1 gets SIGTERM).
set -eu
: "${SERVICE:?set SERVICE to registry, dispatch, fund, settlement or notify}"
python -m "$SERVICE" migrate
exec python -m "$SERVICE" run
