#!/usr/bin/env bash
# Installs every Debian 12 package that prism's build, tests, lint, fuzzing and interop runs
# need. Safe to run again: when everything is already installed it touches nothing in apt
# and returns in well under a second.
#
# The interop peers (BIRD, FRR, GoBGP, OpenBGPD, ExaBGP) ship services. Tests start their
# own instances with private configs, so nothing else may hold port 179: when systemd is
# running, their units are stopped and disabled; otherwise nothing is done about services.
set -euo pipefail

PACKAGES=(
	# build
	build-essential gcc cmake pkg-config
	# libraries
	liburcu-dev libjemalloc-dev libev-dev libxxhash-dev libyaml-dev libjansson-dev
	libmicrohttpd-dev
	# tests, fuzzing, lint
	libcriterion-dev clang libclang-rt-14-dev clang-format clang-tidy cppcheck shellcheck
	valgrind
	# captures and fixtures
	tshark xxd python3 gnuplot-nox
	# interop peers
	bird2 frr gobgpd openbgpd exabgp
)

# Units the peer packages install; stopped and disabled under systemd.
PEER_UNITS=(bird.service frr.service gobgpd.service openbgpd.service bgplgd.service
	exabgp.service)

log() { printf 'install-deps: %s\n' "$*" >&2; }

as_root()
{
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		log "not root and no sudo: cannot run '$*'"
		exit 1
	fi
}

missing_packages()
{
	local pkg status
	for pkg in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		if [ "${status:0:2}" != "ii" ]; then
			printf '%s\n' "$pkg"
		fi
	done
}

install_missing()
{
	local missing=("$@")
	local made_policy=0

	log "installing ${#missing[@]} package(s): ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer no, without a prompt.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' |
		as_root debconf-set-selections

	# Keep package scripts from starting daemons during the install when no policy says
	# otherwise (on a machine without systemd they would start through /etc/init.d).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d &&
			chmod 755 /usr/sbin/policy-rc.d'
		made_policy=1
		trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
	fi

	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef \
		-o Dpkg::Options::=--force-confold "${missing[@]}"

	if [ "$made_policy" -eq 1 ]; then
		as_root rm -f /usr/sbin/policy-rc.d
		trap - EXIT
	fi
}

quiet_peer_services()
{
	local unit
	# The documented test for "booted with systemd" (sd_booted(3)).
	if [ ! -d /run/systemd/system ]; then
		return 0
	fi
	for unit in "${PEER_UNITS[@]}"; do
		if ! systemctl cat "$unit" >/dev/null 2>&1; then
			continue
		fi
		if systemctl is-active --quiet "$unit" || systemctl is-enabled --quiet "$unit"; then
			log "stopping and disabling $unit"
			as_root systemctl disable --now "$unit" >/dev/null 2>&1 ||
				log "could not disable $unit"
		fi
	done
}

main()
{
	local missing
	mapfile -t missing < <(missing_packages)
	if [ "${#missing[@]}" -eq 0 ]; then
		log "all ${#PACKAGES[@]} packages already installed"
	else
		install_missing "${missing[@]}"
		mapfile -t missing < <(missing_packages)
		if [ "${#missing[@]}" -ne 0 ]; then
			log "still missing after install: ${missing[*]}"
			exit 1
		fi
	fi
	quiet_peer_services
}

main "$@"
