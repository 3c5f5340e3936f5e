#!/bin/sh
# Container entrypoint for Symbolon.
#
# Started as root (the default), it makes sure a user with uid PUID and a group
# with gid PGID exist (both default to 1000), hands /app/data to them, and then
# runs Symbolon as that user. Started as any other user (for example
# `user: 1000:1000` in compose), it runs Symbolon directly.
#
# Arguments are passed through unchanged. With none, the server starts; a first
# argument that is an option or a subcommand (serve, healthcheck, version, help)
# is given to /app/symbolon, so `docker run IMAGE version` works. `exec` is used
# throughout so that SIGTERM reaches Symbolon itself and it can drain requests.
set -eu

BINARY=/app/symbolon
DATA_DIR=/app/data

log() {
	printf 'docker-entrypoint: %s\n' "$*" >&2
}

if [ "$#" -eq 0 ]; then
	set -- "$BINARY"
fi
case "$1" in
-* | serve | healthcheck | version | help)
	set -- "$BINARY" "$@"
	;;
esac

# Not root: nothing to set up, and no right to do it anyway.
if [ "$(id -u)" -ne 0 ]; then
	exec "$@"
fi

PUID=${PUID:-1000}
PGID=${PGID:-1000}

# Only plain decimal numbers, at most 10 digits (uid_t is 32 bits wide).
is_id() {
	case "$1" in
	'' | *[!0-9]*) return 1 ;;
	esac
	[ "${#1}" -le 10 ]
}
if ! is_id "$PUID"; then
	log "PUID must be a number (a user id such as 1000), got '$PUID'"
	exit 1
fi
if ! is_id "$PGID"; then
	log "PGID must be a number (a group id such as 1000), got '$PGID'"
	exit 1
fi
# Drop leading zeros so "01000" and "1000" mean the same id (shell arithmetic
# would read them as octal, so strip them as text).
strip_zeros() {
	n=$1
	while [ "${#n}" -gt 1 ] && [ "${n#0}" != "$n" ]; do
		n=${n#0}
	done
	printf '%s' "$n"
}
PUID=$(strip_zeros "$PUID")
PGID=$(strip_zeros "$PGID")

if [ "$PUID" -eq 0 ]; then
	log "PUID is 0: running as root; this is not recommended"
	exec "$@"
fi

# Group: reuse one that already has this gid, otherwise create "symbolon".
if ! getent group "$PGID" >/dev/null 2>&1; then
	group_name=symbolon
	if getent group "$group_name" >/dev/null 2>&1; then
		group_name="symbolon$PGID"
	fi
	groupadd --gid "$PGID" "$group_name" ||
		log "could not create a group with gid $PGID; continuing with the bare id"
fi

# User: reuse one that already has this uid, otherwise create "symbolon".
if ! getent passwd "$PUID" >/dev/null 2>&1; then
	user_name=symbolon
	if getent passwd "$user_name" >/dev/null 2>&1; then
		user_name="symbolon$PUID"
	fi
	useradd --uid "$PUID" --gid "$PGID" --no-create-home --home-dir /app \
		--shell /usr/sbin/nologin "$user_name" ||
		log "could not create a user with uid $PUID; continuing with the bare id"
fi

# The data folder: create it if missing, then give every entry that is not
# already owned by PUID:PGID to them. find does not follow symbolic links
# (neither the start point nor anything below it) and chown -h changes a link
# itself, never its target, so nothing outside /app/data is touched.
if [ ! -e "$DATA_DIR" ] && [ ! -L "$DATA_DIR" ]; then
	mkdir -p "$DATA_DIR"
fi
if [ -d "$DATA_DIR" ] && [ ! -L "$DATA_DIR" ]; then
	find "$DATA_DIR" \( ! -user "$PUID" -o ! -group "$PGID" \) \
		-exec chown -h "$PUID:$PGID" {} + ||
		log "could not change the owner of everything in $DATA_DIR to $PUID:$PGID (read-only or root-squashed mount?)"
else
	log "$DATA_DIR is not a directory; leaving it as it is"
fi

# Supplementary groups: those of the passwd entry when there is one.
if getent passwd "$PUID" >/dev/null 2>&1; then
	groups_opt=--init-groups
	HOME=$(getent passwd "$PUID" | cut -d: -f6)
else
	groups_opt=--clear-groups
	HOME=/app
fi
export HOME

exec setpriv --reuid="$PUID" --regid="$PGID" "$groups_opt" --no-new-privs -- "$@"
