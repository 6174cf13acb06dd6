#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for `make test-slurm` (tests/test_slurm.py).
#
#   tools/slurm_local.sh start    install slurm + munge if missing (apt, needs root), write a
#                                 one-node slurm.conf for this host, start munged, slurmctld
#                                 and slurmd, wait until `sinfo` shows the node idle
#   tools/slurm_local.sh status   the daemons and `sinfo`
#   tools/slurm_local.sh stop     stop slurmd, slurmctld and munged (the ones this script
#                                 started, by the pid files it wrote)
#
# Idempotent: `start` on a running cluster only checks it. No systemd or cgroups are needed
# (proctrack/linuxproc, task/none): it runs in a container or VM whose PID 1 is not systemd.
# The node offers this machine's cores (CPUs from nproc) with OverSubscribe, so that several
# single-core Dask worker jobs share them. Files: /etc/slurm/slurm.conf (written only if
# missing or written by this script), state and logs under $SLURM_LOCAL_DIR
# (default /var/tmp/oncosweep-slurm).
set -euo pipefail

DIR=${SLURM_LOCAL_DIR:-/var/tmp/oncosweep-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# written by oncosweep tools/slurm_local.sh"
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
HOST=$(hostname -s)

say() { printf 'slurm_local: %s\n' "$*"; }
die() { printf 'slurm_local: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

alive() {  # alive PIDFILE: the process in PIDFILE runs
    [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

install() {
    local missing=()
    command -v munged >/dev/null || missing+=(munge)
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sinfo >/dev/null || missing+=(slurm-client)
    ((${#missing[@]})) || { say "slurm and munge installed"; return; }
    [[ $(id -u) == 0 ]] || die "installing ${missing[*]} needs root (apt-get)"
    local t0; t0=$(now)
    say "installing ${missing[*]} (apt-get) ..."
    export DEBIAN_FRONTEND=noninteractive
    # the package lists may be missing in a fresh container
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$DIR/apt.log" 2>&1; then
        apt-get update -q >>"$DIR/apt.log" 2>&1
        apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$DIR/apt.log" 2>&1 \
            || die "apt-get install ${missing[*]} failed (see $DIR/apt.log)"
    fi
    say "installed in $(since "$t0") s"
}

write_conf() {
    local cpus mem
    cpus=$(nproc)
    # MB for jobs: half the machine's memory, at most 8 GB (each worker job asks for ~1 GB)
    mem=$(awk '/MemTotal/ { m = int($2 / 1024 / 2); print (m > 8192 ? 8192 : m) }' /proc/meminfo)
    if [[ -e $CONF ]] && ! grep -qF "$MARK" "$CONF"; then
        die "$CONF exists and was not written by this script; not touching it"
    fi
    mkdir -p /etc/slurm "$DIR/ctld" "$DIR/d" "$DIR/log"
    cat >"$CONF.new" <<EOF
$MARK (one node: this host)
ClusterName=oncosweep
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/d
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=60
NodeName=$HOST CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
    if [[ -e $CONF ]] && cmp -s "$CONF" "$CONF.new"; then
        rm "$CONF.new"
    else
        mv "$CONF.new" "$CONF"
        say "wrote $CONF (node $HOST, CPUs=$cpus, RealMemory=${mem} MB)"
    fi
}

start_munge() {
    if [[ ! -s /etc/munge/munge.key ]]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
        say "created /etc/munge/munge.key"
    fi
    chown munge:munge /etc/munge/munge.key 2>/dev/null || true
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    if alive /run/munge/munged.pid; then
        return
    fi
    if id munge >/dev/null 2>&1; then
        su -s /bin/sh munge -c "munged --pid-file=/run/munge/munged.pid" \
            || die "munged did not start"
    else
        munged --force --pid-file=/run/munge/munged.pid || die "munged did not start"
    fi
    munge -n | unmunge >/dev/null || die "munge round trip failed"
    say "munged started"
}

node_state() { sinfo -h -N -n "$HOST" -o %T 2>/dev/null | head -1; }

start() {
    local t0; t0=$(now)
    mkdir -p "$DIR"
    install
    write_conf
    start_munge
    local t1 started=""; t1=$(now)
    alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid" || started=1
    if ! alive "$DIR/slurmctld.pid"; then
        slurmctld || die "slurmctld did not start (see $DIR/log/slurmctld.log)"
    fi
    # slurmctld answers before slurmd registers; wait for it before starting slurmd
    local deadline=$((SECONDS + TIMEOUT))
    until scontrol ping >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "slurmctld not answering after ${TIMEOUT} s (see $DIR/log/slurmctld.log)"
        sleep 0.5
    done
    if ! alive "$DIR/slurmd.pid"; then
        slurmd || die "slurmd did not start (see $DIR/log/slurmd.log)"
    fi
    local state=""
    until [[ $state == idle* || $state == mixed* || $state == allocated* ]]; do
        if ((SECONDS >= deadline)); then
            die "node $HOST not idle after ${TIMEOUT} s (state '${state:-none}'; see $DIR/log/)"
        fi
        if [[ $state == down* || $state == drain* ]]; then
            scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
        fi
        sleep 0.5
        state=$(node_state)
    done
    if [[ -n $started ]]; then
        say "node $HOST $state; daemons up in $(since "$t1") s (start in all $(since "$t0") s)"
    else
        say "already running: node $HOST $state"
    fi
    sinfo
}

stop() {
    local name pidfile pid
    for name in slurmd slurmctld munged; do
        case $name in
            munged) pidfile=/run/munge/munged.pid ;;
            *) pidfile=$DIR/$name.pid ;;
        esac
        if alive "$pidfile"; then
            pid=$(cat "$pidfile")
            kill "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
            say "stopped $name ($pid)"
        fi
    done
}

status() {
    local name pidfile rc=0
    for name in munged slurmctld slurmd; do
        case $name in
            munged) pidfile=/run/munge/munged.pid ;;
            *) pidfile=$DIR/$name.pid ;;
        esac
        if alive "$pidfile"; then say "$name running ($(cat "$pidfile"))"; else say "$name not running"; rc=1; fi
    done
    ((rc)) || sinfo
    return $rc
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
