#!/usr/bin/env bash
# Submit a sharded job to Slurm and its merge after it:
#
#   SHARDS=8 INPUTS=/shared/baci OUTPUT=/shared/out/mirror-all CPUS=2 MEMORY_GB=4 \
#   deploy/slurm/submit.sh mirror-all
#
#   SHARDS=8 PIPELINE=/shared/pipelines/dprk.toml OUTPUT=/shared/out/dprk CPUS=2 \
#   MEMORY_GB=4 deploy/slurm/submit.sh run
#
# It renders KIND-array.sbatch and KIND-merge.sbatch (deploy/render.sh: an unset
# placeholder stops it before anything is submitted) into RENDERED (default: a new
# temporary folder; sbatch keeps its own copy of each script), submits the array
# with `sbatch --parsable`, then the merge with --dependency=afterok on the array,
# so the merge starts only when every task has succeeded. It prints both job ids.
# SBATCH names another sbatch.
set -euo pipefail

kind=${1:?usage: deploy/slurm/submit.sh mirror-all|run}
case "$kind" in
    mirror-all | run) ;;
    *) echo "submit.sh: $kind is not mirror-all or run" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
sbatch=${SBATCH:-sbatch}
rendered=${RENDERED:-$(mktemp -d)}
mkdir -p "$rendered"

"$here/../render.sh" "$here/$kind-array.sbatch" > "$rendered/$kind-array.sbatch"
"$here/../render.sh" "$here/$kind-merge.sbatch" > "$rendered/$kind-merge.sbatch"

# --parsable prints "JOBID" or "JOBID;CLUSTER".
array=$("$sbatch" --parsable "$rendered/$kind-array.sbatch")
array=${array%%;*}
merge=$("$sbatch" --parsable --dependency="afterok:$array" "$rendered/$kind-merge.sbatch")
echo "array job $array, merge job ${merge%%;*} (after every task of $array succeeds)"
