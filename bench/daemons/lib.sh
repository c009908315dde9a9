# Sourced by every bench/daemons/*.sh: what starting and stopping a reflector has in
# common. The script sets NAME and defines cmd_start, cmd_version and cmd_check, then calls
# main "$@". Not a daemon script itself: bench/compare.sh runs only the names it knows.
# shellcheck shell=bash

die() {
	printf '%s.sh: %s\n' "$NAME" "$*" >&2
	exit 1
}

# True while PID is a live process (a zombie counts as gone).
pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# True when something listens on TCP 127.0.0.1:PORT.
port_listening() {
	ss -Hltn "sport = :$1" 2>/dev/null | awk '{print $4}' | grep -qx "127.0.0.1:$1"
}

# True when anything at all listens on the port, on any address.
port_busy() {
	[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# wait_listening PID PORT LOG: until PID listens on the port (at most 30 s). On failure it
# shows the log's tail and returns 1, leaving the process to the caller.
wait_listening() {
	local pid=$1 port=$2 log=$3 i
	for ((i = 0; i < 300; i++)); do
		if ! pid_alive "$pid"; then
			tail -n 20 "$log" >&2 2>/dev/null || true
			printf '%s.sh: the daemon (PID %s) exited before it listened on port %s\n' \
				"$NAME" "$pid" "$port" >&2
			return 1
		fi
		if port_listening "$port"; then
			return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$log" >&2 2>/dev/null || true
	printf '%s.sh: the daemon (PID %s) did not listen on 127.0.0.1:%s within 30 s\n' \
		"$NAME" "$pid" "$port" >&2
	return 1
}

# stop_dir DIR: stops the process in DIR/daemon.pid if its command line names DIR (so a
# recycled PID is never signalled): TERM, up to 15 s, then KILL, up to 5 s more.
stop_dir() {
	local dir=$1 pid i
	[ -f "$dir/daemon.pid" ] || return 0
	pid=$(cat "$dir/daemon.pid")
	[[ "$pid" =~ ^[0-9]+$ ]] || die "bad PID file $dir/daemon.pid"
	if ! pid_alive "$pid" || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir"; then
		rm -f "$dir/daemon.pid"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	if pid_alive "$pid"; then
		printf '%s.sh: PID %s ignored TERM for 15 s; sending KILL\n' "$NAME" "$pid" >&2
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
	fi
	pid_alive "$pid" && die "PID $pid is still running"
	rm -f "$dir/daemon.pid"
}

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

# start_args DIR PORT MAXPEERS: checks the arguments and the port.
start_args() {
	[ "$#" -eq 3 ] || die "usage: $NAME.sh start DIR PORT MAXPEERS"
	[ -d "$1" ] || die "no such folder: $1"
	if ! is_uint "$2" || [ "$2" -lt 1 ] || [ "$2" -gt 65535 ]; then
		die "bad port: $2"
	fi
	if ! is_uint "$3" || [ "$3" -lt 1 ]; then
		die "bad peer count: $3"
	fi
	if port_busy "$2"; then
		die "something already listens on port $2"
	fi
}

# started DIR PID PORT LOG: records the PID, waits until it listens and prints it; stops it
# again when it does not come up.
started() {
	local dir=$1 pid=$2 port=$3 log=$4
	echo "$pid" >"$dir/daemon.pid"
	if ! wait_listening "$pid" "$port" "$log"; then
		stop_dir "$dir"
		die "could not start; see $dir"
	fi
	echo "$pid"
}

cmd_stop() {
	[ "$#" -eq 1 ] || die "usage: $NAME.sh stop DIR"
	[ -d "$1" ] || return 0
	stop_dir "$(cd "$1" && pwd)"
}

main() {
	local cmd=${1:-}
	if [ "$#" -gt 0 ]; then
		shift
	fi
	case "$cmd" in
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	version) cmd_version ;;
	check) cmd_check ;;
	*) die "usage: $NAME.sh start DIR PORT MAXPEERS | stop DIR | version | check" ;;
	esac
}
