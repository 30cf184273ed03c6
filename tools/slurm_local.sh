#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for the cluster tests (nbs/25_cluster.ipynb, slow): Debian's munge,
# slurmctld and slurmd (apt-get install munge slurmctld slurmd slurm-client), CPUs only, no accounting database.
#   tools/slurm_local.sh start DIR   writes DIR/slurm.conf, starts the daemons, waits for the node; prints SLURM_CONF
#   tools/slurm_local.sh stop DIR    stops the daemons it started (by their pid files in DIR)
# Needs root (the daemons run as root, munged as munge). Clients find the cluster with SLURM_CONF=DIR/slurm.conf.
set -euo pipefail
cmd=${1:?usage: slurm_local.sh start|stop DIR}
dir=$(mkdir -p "${2:?usage: slurm_local.sh start|stop DIR}" && cd "$2" && pwd)
stop_pid() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null || true; rm -f "$1"; }
if [ "$cmd" = stop ]; then
  stop_pid "$dir/slurmd.pid"; stop_pid "$dir/slurmctld.pid"; stop_pid /run/munge/cilseg-test.pid
  exit 0
fi
[ "$cmd" = start ] || { echo "slurm_local.sh: $cmd: expected start or stop" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm_local.sh: needs root (slurmd runs jobs as their users)" >&2; exit 1; }
for exe in munged slurmctld slurmd sbatch; do
  command -v "$exe" >/dev/null || { echo "slurm_local.sh: $exe not found (apt-get install munge slurmctld slurmd slurm-client)" >&2; exit 1; }
done
node=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" /run/munge
chown munge:munge /run/munge   # munged's files live there: DIR may be a private temporary folder that munge cannot enter
cat >"$dir/slurm.conf" <<EOF
ClusterName=cilseg-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf
if ! munge -n >/dev/null 2>&1; then   # a munged already serving the default socket is used as it is
  runuser -u munge -- munged --log-file=/run/munge/cilseg-test.log --pid-file=/run/munge/cilseg-test.pid \
    --seed-file=/run/munge/cilseg-test.seed
fi
slurmctld
slurmd
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qx idle && { echo "SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 1
done
echo "slurm_local.sh: the node did not come up within 60 s; last lines of the logs:" >&2
tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2
exit 1
