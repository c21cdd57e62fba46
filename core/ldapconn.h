/*
 * NAME
 *	ldapconn.h - connections to a directory server with OpenLDAP libldap
 * SUMMARY
 *	msm_ldap_connect() opens ldap://, ldaps:// or ldap:// + StartTLS (an
 *	optional CA file), and binds (simple bind) with a password read from a
 *	file, the environment (MSMIGRATE_BIND_PASSWORD) or a prompt without echo
 *	(msm_ldap_read_secret): never from argv; the password is wiped as soon as
 *	the bind is done and never appears in a message. msm_ldap_search()
 *	streams entries into MsmEntry values with the paged results control
 *	(RFC 2696), one page in memory at a time. MsmLdapWriter pipelines change
 *	records (LDIF "changetype:" records, parsed with libldap's own LDIF
 *	parser, so the semantics are ldapmodify's) as asynchronous operations
 *	with a bounded window of outstanding requests, matching each result to
 *	its request by message id and handing the server's result code and
 *	message to a callback.
 * OWNERSHIP
 *	Connections, writers and secrets are (transfer full): free them with
 *	msm_ldap_close(), msm_ldap_writer_free(), msm_secret_free(). Entries
 *	passed to a search callback are (transfer full) to the callback.
 *	Strings passed in are copied.
 * ERRORS
 *	MSM_ERROR domain. MSM_ERROR_IO: the server cannot be reached or the
 *	connection was lost (the message names the URI and says to restart the
 *	server and resume); MSM_ERROR_INVALID_ARGUMENT: bad URI, bad bind
 *	credentials (no password in the message), bad filter; MSM_ERROR_NOT_FOUND:
 *	no password source, base DN absent; MSM_ERROR_PARSE: a change record
 *	libldap cannot parse ("NAME:LINE: ..."). A failed operation is not a
 *	GError: its result code and the server's message go to the callback.
 */
#ifndef MSM_CORE_LDAPCONN_H
#define MSM_CORE_LDAPCONN_H

#include <msmigrate/msmigrate.h>

/* Name of the environment variable a bind password may come from. */
#define MSM_LDAP_PASSWORD_ENV "MSMIGRATE_BIND_PASSWORD"

typedef struct {
    const char *uri;           /* "ldap://127.0.0.1:389", "ldaps://host" */
    gboolean starttls;         /* ldap:// then StartTLS (refused with ldaps://) */
    const char *ca_file;       /* PEM CA certificates for TLS, or NULL (system default) */
    const char *bind_dn;       /* NULL: anonymous */
    const char *password_file; /* secret sources, tried in this order: file, */
    const char *password_env;  /* an environment variable named by the site profile, */
    gboolean no_env;           /* the environment (unless no_env), */
    gboolean prompt;           /* a prompt on the terminal (when allowed) */
    guint timeout;             /* network timeout in seconds, 0 = 30 */
} MsmLdapParams;

typedef struct MsmLdapConn MsmLdapConn;

/* The bind password: --password-file (a file only its owner can read, one
 * line), else the variable p->password_env names, else $MSMIGRATE_BIND_PASSWORD,
 * else a prompt on /dev/tty without echo when p->prompt. (transfer full:
 * msm_secret_free) */
char *msm_ldap_read_secret(const MsmLdapParams *p, GError **error);

/* Connects and binds. (transfer full) Sets SIGPIPE to ignored when it has
 * its default action, so that a server dying under a write is an error
 * (MSM_ERROR_IO) and not the death of the process. */
MsmLdapConn *msm_ldap_connect(const MsmLdapParams *p, GError **error);
/* Unbinds and frees. NULL is allowed. */
void msm_ldap_close(MsmLdapConn *c);
/* The URI connected to. (transfer none) */
const char *msm_ldap_uri(const MsmLdapConn *c);

/* Search scopes (values of LDAP_SCOPE_*). */
#define MSM_LDAP_SCOPE_BASE 0
#define MSM_LDAP_SCOPE_ONE 1
#define MSM_LDAP_SCOPE_SUB 2

/* Called once per entry. Return FALSE (with *error set) to stop the search. */
typedef gboolean (*MsmLdapEntryFunc)(MsmEntry *entry, gpointer user_data, GError **error);

/* Searches base (scope, filter; NULL filter = "(objectClass=*)") for the user
 * attributes of each entry, page_size entries per page (0 = 500), and calls
 * func with each entry as it arrives. *count_r (may be NULL) gets the number
 * of entries. */
gboolean msm_ldap_search(MsmLdapConn *c, const char *base, int scope, const char *filter,
                         guint page_size, MsmLdapEntryFunc func, gpointer user_data,
                         guint64 *count_r, GError **error);

/* Reads one entry (scope base). *entry_r is NULL when it does not exist.
 * (transfer full) */
gboolean msm_ldap_read_entry(MsmLdapConn *c, const char *dn, MsmEntry **entry_r,
                             GError **error);

/* ---- pipelined writes ---- */

typedef struct MsmLdapWriter MsmLdapWriter;

/* Result of one change: rc is an LDAP result code (0 = success), message the
 * server's diagnostic message (or the libldap description) or "" on success.
 * dn is the record's DN and tag what the caller passed with the record. */
typedef void (*MsmLdapResultFunc)(const char *dn, int rc, const char *message, gpointer tag,
                                  gpointer user_data);

/* A writer sending on c (borrowed) with at most window (0 = 64) operations
 * outstanding (see msm_ldap_writer_wait_slot); func gets every result.
 * (transfer full) */
MsmLdapWriter *msm_ldap_writer_new(MsmLdapConn *c, guint window, MsmLdapResultFunc func,
                                   gpointer user_data);

/* Waits until another operation may be sent. The window opens gradually: it
 * starts at 1, doubles with each success up to the maximum and falls back to 1
 * after a failure, so a run that fails everywhere has one failing operation in
 * flight, not a whole window. Results that arrive go to the callback, so a
 * caller can check its error budget after this and before submitting. */
gboolean msm_ldap_writer_wait_slot(MsmLdapWriter *w, GError **error);

/* Sends one LDIF change record (text, as ldapmodify reads it: "dn:" then
 * "changetype: add|modify|delete|modrdn|moddn"; a record without changetype
 * is an add when default_add). name and line locate the record in error
 * messages. Waits for a slot first (msm_ldap_writer_wait_slot). FALSE on a record
 * that does not parse (MSM_ERROR_PARSE) or a lost connection (MSM_ERROR_IO);
 * a record that parses but describes nothing to do is reported to the
 * callback with rc 0. */
gboolean msm_ldap_writer_submit(MsmLdapWriter *w, const char *record, gsize len,
                                gboolean default_add, const char *name, guint64 line,
                                gpointer tag, GError **error);

/* Waits for every outstanding result. FALSE with MSM_ERROR_IO when the
 * connection was lost (the outstanding operations' outcome is unknown). */
gboolean msm_ldap_writer_flush(MsmLdapWriter *w, GError **error);

/* Number of operations sent and not yet answered. */
guint msm_ldap_writer_pending(const MsmLdapWriter *w);

/* Frees w; operations still outstanding are abandoned without a callback. */
void msm_ldap_writer_free(MsmLdapWriter *w);

/* ---- LDIF change files read with libldap (ldapmodify's reader) ---- */

typedef struct MsmLdifChangeReader MsmLdifChangeReader;

/* Opens path. (transfer full) NULL with MSM_ERROR_NOT_FOUND / MSM_ERROR_IO. */
MsmLdifChangeReader *msm_ldif_change_reader_open(const char *path, GError **error);
/* The next record's text (transfer none, valid until the next call) and its
 * first line number, or *record_r = NULL at the end. Comments and "version:"
 * lines are dropped. */
gboolean msm_ldif_change_reader_next(MsmLdifChangeReader *r, const char **record_r,
                                     gsize *len_r, guint64 *line_r, GError **error);
void msm_ldif_change_reader_free(MsmLdifChangeReader *r);

/* The DN of a change record's text (first "dn:" line, base64 decoded).
 * (transfer full) NULL if there is none. */
char *msm_ldif_record_dn(const char *record, gsize len);

#endif
