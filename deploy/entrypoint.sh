#!/bin/sh
# Migrate the service's own database, then run it in the foreground (PID 1 gets SIGTERM).
# Every line either step writes is a JSON log line (sanbao_common.launcher); so is this one's.
set -eu
if [ -z "${SERVICE:-}" ]; then
  printf '%s\n' '{"level": "CRITICAL", "logger": "entrypoint", "message": "set SERVICE to registry, dispatch, fund, settlement or notify"}' >&2
  exit 2
fi
python -m "$SERVICE" migrate
exec python -m "$SERVICE" run
