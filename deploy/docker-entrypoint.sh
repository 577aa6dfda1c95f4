#!/bin/sh
# Secrets reach containers as files (mounted volumes or Docker secrets), never as committed values.
# The services read these variables from the environment only, so each one given as <NAME>_FILE is
# exported from its file before the service starts.
set -eu

for name in INTERNAL_API_SECRET; do
  eval "file=\${${name}_FILE:-}"
  if [ -n "$file" ]; then
    value=$(cat "$file")
    export "$name=$value"
  fi
done

exec "$@"
