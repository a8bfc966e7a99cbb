#!/bin/bash
# sockscope probe as a Slurm job array: every task scans its own shard of TARGETS × PORTS
# (--shard auto takes it from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT), resumable
# when Slurm requeues it after a node failure or preemption (--resume: the same command
# continues where the task stopped), its results in $RESULTS. Then merge them:
#
#   sbatch --array=0-3 deploy/slurm/probe-array.sh 10.0.0.0/16 22,80,443
#   sbatch --dependency=afterok:JOBID --wrap 'sockscope merge -oX scan.xml results/shard-*.xml'
#   # or, when the array is done:  sockscope merge results/shard-*.jsonl
#
# Environment: RESULTS (default ./results), SEED (default the array's job id: one order
# for every task, as --shard needs), SOCKSCOPE (default sockscope), PROBE_OPTIONS (more
# probe options, e.g. "--rate 20000 -u").
#SBATCH --job-name=sockscope-probe
#SBATCH --array=0-3
#SBATCH --requeue
#SBATCH --output=sockscope-probe-%A_%a.log
set -eu
targets=${1:?usage: sbatch --array=0-N probe-array.sh TARGETS PORTS}
ports=${2:?usage: sbatch --array=0-N probe-array.sh TARGETS PORTS}
results=${RESULTS:-results}
seed=${SEED:-$SLURM_ARRAY_JOB_ID}
task=$SLURM_ARRAY_TASK_ID
mkdir -p "$results"
# stdout is appended to: a requeued task adds the windows it had not done.
status=0
# shellcheck disable=SC2086 # PROBE_OPTIONS is a list of options
"${SOCKSCOPE:-sockscope}" probe --json --seed "$seed" --shard auto ${PROBE_OPTIONS:-} \
    --resume "$results/shard-$task.state" -oX "$results/shard-$task.xml" \
    "$targets" "$ports" >> "$results/shard-$task.jsonl" || status=$?
# probe exits 1 when no port of the shard is open: the task still did its work.
[ "$status" -le 1 ] || exit "$status"
