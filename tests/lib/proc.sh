# Sourced by the shell tests that start their own processes (tests/*.sh): checking and
# stopping them by PID, never by name, and picking a free port. The caller defines
# fail MESSAGE (print and exit non-zero).
# shellcheck shell=bash

# True while PID is a live process (a zombie counts as gone).
pid_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# stop_pid PID: TERM, up to 20 s, then KILL; then reaps it. An empty PID is a no-op.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	if pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
}

# A TCP port nothing listens on, from 20000 to 59999 (50 tries).
free_port() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port"
}
