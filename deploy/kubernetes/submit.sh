#!/usr/bin/env bash
# Submit a sharded job to Kubernetes and its merge after it:
#
#   NAME=dprk-2026 IMAGE=registry.example.org/patronage:0.1.0 SHARDS=8 PARALLELISM=8 \
#   INPUTS=s3://bucket/baci OUTPUT=s3://bucket/mirror-all SECRET=patronage-store \
#   CPUS=2 MEMORY_GB=4 deploy/kubernetes/submit.sh mirror-all
#
#   ... PIPELINE=/tmp/project/pipelines/dprk.toml PIPELINE_CONFIGMAP=dprk-pipeline \
#   deploy/kubernetes/submit.sh run
#
# It renders KIND-shards.yaml and KIND-merge.yaml (deploy/render.sh: an unset
# placeholder stops it before anything is applied), applies the Indexed Job,
# waits until every index has completed (a failed index fails the wait and the
# merge is not submitted), then applies the merge Job. TIMEOUT (default 24h)
# bounds the wait; KUBECTL names another kubectl.
set -euo pipefail

kind=${1:?usage: deploy/kubernetes/submit.sh mirror-all|run}
case "$kind" in
    mirror-all | run) ;;
    *) echo "submit.sh: $kind is not mirror-all or run" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
kubectl=${KUBECTL:-kubectl}

shards=$("$here/../render.sh" "$here/$kind-shards.yaml")
merge=$("$here/../render.sh" "$here/$kind-merge.yaml")

printf '%s\n' "$shards" | "$kubectl" apply -f -
"$kubectl" wait --for=condition=complete --timeout="${TIMEOUT:-24h}" "job/$NAME-shards"
printf '%s\n' "$merge" | "$kubectl" apply -f -
