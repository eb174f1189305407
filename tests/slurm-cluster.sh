#!/bin/sh
# tests/slurm-cluster.sh up DIR | down DIR - a single-node Slurm cluster on
# loopback for tests/slurm.bats (and for trying pipelines/sharded slurm by
# hand), from Debian's slurm-wlm and munge packages.
#
#   up DIR    writes DIR/slurm.conf, starts a munged (as the munge user, its
#             socket in DIR/munge), a slurmctld and a slurmd (as root) on
#             127.0.0.1 with ports of their own, state, spool and logs in
#             DIR; waits until the node takes jobs.  Prints the line
#             "SLURM_CONF=DIR/slurm.conf" to use with sbatch, squeue, ...
#   down DIR  stops the three daemons by the pids in DIR/*.pid, waits for
#             them to end.
# DIR must be new or empty and reachable by the munge user (munged refuses
# a socket directory it cannot check); up makes it mode 755.  Exit 0 on
# success, 69 when the packages are missing, 70 when a daemon does not
# come up (its log is printed).
set -eu
cmd=${1:-}
d=${2:-}
[ -n "$cmd" ] && [ -n "$d" ] || { echo "usage: slurm-cluster.sh up|down DIR" >&2; exit 64; }

die() {
	echo "slurm-cluster: $*" >&2
	exit 70
}

# freeport: a TCP port nothing listens on now (the kernel's pick)
freeport() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# waitpid FILE: wait (10 s at most) for a daemon's pid file, print the pid
waitpid() {
	t=0
	while [ ! -s "$1" ]; do
		[ $t -lt 100 ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
	cat "$1"
}

up() {
	for p in munged slurmctld slurmd sbatch; do
		command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$p" >/dev/null 2>&1 || {
			echo "slurm-cluster: $p is not installed (Debian packages slurm-wlm, munge)" >&2
			exit 69
		}
	done
	PATH=$PATH:/usr/sbin
	mkdir -p "$d/munge" "$d/state" "$d/spool"
	chmod 755 "$d"
	chown munge:munge "$d/munge"
	chmod 755 "$d/munge"
	sock=$d/munge/munge.socket
	setpriv --reuid=munge --regid=munge --clear-groups \
	    munged --socket="$sock" --pid-file="$d/munge/munged.pid" \
	    --log-file="$d/munge/munged.log" --seed-file="$d/munge/munged.seed" ||
		{ cat "$d/munge/munged.log" >&2 2>/dev/null; die "munged did not start"; }
	waitpid "$d/munge/munged.pid" >/dev/null || die "munged wrote no pid file"
	ln -sf munge/munged.pid "$d/munged.pid"
	host=$(hostname -s)
	cpus=$(nproc)
	cat >"$d/slurm.conf" <<EOF
# written by tests/slurm-cluster.sh: one node on loopback, no accounting
ClusterName=winnow-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(freeport)
SlurmdPort=$(freeport)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerParameters=sched_min_interval=0
MinJobAge=600
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
	export SLURM_CONF="$d/slurm.conf"
	slurmctld -f "$SLURM_CONF" || { cat "$d/slurmctld.log" >&2; die "slurmctld did not start"; }
	waitpid "$d/slurmctld.pid" >/dev/null || { cat "$d/slurmctld.log" >&2; die "slurmctld wrote no pid file"; }
	slurmd -f "$SLURM_CONF" || { cat "$d/slurmd.log" >&2; die "slurmd did not start"; }
	waitpid "$d/slurmd.pid" >/dev/null || { cat "$d/slurmd.log" >&2; die "slurmd wrote no pid file"; }
	# the node takes jobs once slurmctld has heard from slurmd
	t=0
	until sinfo -h -N -o %t 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; do
		[ $t -lt 300 ] || { sinfo -N >&2; cat "$d/slurmctld.log" "$d/slurmd.log" >&2; die "the node did not become idle in 30 s"; }
		sleep 0.1
		t=$((t + 1))
	done
	echo "SLURM_CONF=$SLURM_CONF"
}

# down: TERM each daemon, wait up to 10 s, then KILL it
down() {
	for f in slurmd slurmctld munged; do
		[ -s "$d/$f.pid" ] || continue
		pid=$(cat "$d/$f.pid")
		kill "$pid" 2>/dev/null || continue
		t=0
		while kill -0 "$pid" 2>/dev/null; do
			if [ $t -ge 100 ]; then
				kill -9 "$pid" 2>/dev/null || true
				break
			fi
			sleep 0.1
			t=$((t + 1))
		done
	done
}

case $cmd in
up) up ;;
down) down ;;
*) echo "usage: slurm-cluster.sh up|down DIR" >&2; exit 64 ;;
esac
