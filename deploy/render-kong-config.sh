#!/bin/sh
# Renders gateway/kong.yml into the plain declarative file Kong DB-less loads, with the generated
# token-verification key in the jwt credential. Runs in the kong/deck image (the kong-config job).
#
#   render-kong-config.sh <public key PEM> <kong.yml template> <output file>
#
# decK substitutes ${{ env "DECK_JWT_PUBLIC_KEY" }} into the raw text before it parses the YAML, and
# the template holds the key in a single-quoted scalar, where a single line break folds into a space.
# So the PEM's lines are joined by a blank line (which folds into exactly one line break) and
# indented, which keeps the continuation lines inside the credential's mapping.
set -eu

DECK_JWT_PUBLIC_KEY=$(awk 'NR > 1 { printf "\n\n                " } { printf "%s", $0 }' "$1")
export DECK_JWT_PUBLIC_KEY
# Without --populate-env-vars, `deck file render` writes placeholders instead of the values.
deck file render --populate-env-vars "$2" -o "$3"
chmod 0644 "$3"
