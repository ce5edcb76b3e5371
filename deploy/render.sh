#!/usr/bin/env bash
# Render a template of deploy/ (a Kubernetes manifest or a Slurm script): every
# ${NAME} placeholder is replaced by the environment variable NAME, and a
# placeholder whose variable is unset is an error naming it, so nothing is
# submitted half-filled. LAST_SHARD defaults to SHARDS - 1. Only ${UPPER_CASE}
# placeholders are touched; the rendered text goes to stdout.
#
#   IMAGE=registry.example.org/patronage:0.1.0 SHARDS=8 ... deploy/render.sh \
#       deploy/kubernetes/mirror-all-shards.yaml > mirror-all-shards.yaml
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

template=${1:?usage: deploy/render.sh TEMPLATE > RENDERED}
if [[ -n "${SHARDS:-}" && -z "${LAST_SHARD:-}" ]]; then
    LAST_SHARD=$((SHARDS - 1))
fi
text=$(<"$template")
names=$(grep -o '\${[A-Z_][A-Z0-9_]*}' "$template" | sort -u | tr -d '${}' || true)
missing=()
for name in $names; do
    if [[ -z "${!name+set}" ]]; then
        missing+=("$name")
    fi
done
if ((${#missing[@]})); then
    echo "render.sh: $template: set ${missing[*]}" >&2
    exit 2
fi
for name in $names; do
    text=${text//"\${$name}"/${!name}}
done
printf '%s\n' "$text"
