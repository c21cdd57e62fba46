# tests/integration/lib-dovecot.sh - a real, private Dovecot 2.3 for the store tests (sourced)
#
# dovecot_start ROOT USER...: starts Dovecot (Debian dovecot-imapd) from a config
# generated under $TMP/dovecot (no /etc/dovecot change, no system service) on a
# free loopback port, serving ROOT/<user> as each user's Maildir++ exactly as
# DESIGN §5 configures it: namespace separator '/', listescape ('\' escapes),
# modified UTF-7 names on disk, indexes kept apart (INDEX=) so the export is
# not rewritten beyond what Dovecot itself maintains. Every user's password is
# "pw-<user>" in a passwd-file (test data only, never a real secret). Sets
# DOVECOT_PORT, DOVECOT_DIR, DOVECOT_PID. dovecot_stop stops it (by its pid).
# Dovecot refuses to serve mail as root, so mail is served as "nobody": the
# ROOT tree is handed to that user with chown (it is test scratch).
: "${TMP:?source lib.sh first}"

dovecot_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

dovecot_start() {
    local root=$1; shift
    DOVECOT_DIR=$TMP/dovecot
    rm -rf "$DOVECOT_DIR"
    mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/index"
    chmod 755 "$DOVECOT_DIR" "$DOVECOT_DIR/run"
    DOVECOT_PORT=$(dovecot_free_port)
    local mailuser=nobody mailgroup
    mailgroup=$(id -gn nobody)
    local uid; uid=$(id -u "$mailuser")
    : >"$DOVECOT_DIR/passwd"
    for u in "$@"; do printf '%s:{PLAIN}pw-%s\n' "$u" "$u" >>"$DOVECOT_DIR/passwd"; done
    # Dovecot's auth and mail processes run as other users: let them reach the files
    chmod 711 "$TMP"
    chmod 644 "$DOVECOT_DIR/passwd"
    if [ "$(id -u)" = 0 ]; then
        chown -R "$mailuser:$mailgroup" "$root" "$DOVECOT_DIR/index"
    fi
    cat >"$DOVECOT_DIR/dovecot.conf" <<CONF
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
info_log_path = $DOVECOT_DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_username_chars =
auth_username_format = %u
first_valid_uid = $uid
last_valid_uid = 0
mail_location = maildir:$root/%u:INDEX=$DOVECOT_DIR/index/%u
mail_plugins = \$mail_plugins listescape
namespace inbox {
  inbox = yes
  separator = /
  prefix =
}
plugin {
  listescape_char = "\\\\"
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/passwd
}
userdb {
  driver = static
  args = uid=$mailuser gid=$mailgroup home=$root/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
CONF
    dovecot -F -c "$DOVECOT_DIR/dovecot.conf" >"$DOVECOT_DIR/stdout" 2>&1 &
    DOVECOT_PID=$!
    local i
    for i in $(seq 1 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$DOVECOT_PORT),1)" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "dovecot did not start:"; cat "$DOVECOT_DIR/stdout" "$DOVECOT_DIR/dovecot.log" 2>/dev/null | tail -20
    return 1
}

dovecot_stop() {
    if [ -n "${DOVECOT_PID:-}" ]; then
        kill "$DOVECOT_PID" 2>/dev/null
        wait "$DOVECOT_PID" 2>/dev/null
        DOVECOT_PID=
    fi
}
