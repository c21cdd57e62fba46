/*
 * NAME
 *	ldapconn.c - libldap connections, paged search, pipelined writes
 * SUMMARY
 *	See ldapconn.h. The password is read into a GLib string, copied into a
 *	berval only for the bind, and both are overwritten before being freed.
 *	Writes use ldap_add_ext / ldap_modify_ext / ldap_delete_ext /
 *	ldap_rename and collect results with ldap_result(LDAP_RES_ANY, ONE),
 *	matched to their requests by message id in a hash table.
 * DIAGNOSTICS
 *	Messages name the URI (never the password) and, for a lost server, say
 *	to restart it and resume the run.
 */
#include "config.h"

#include "ldapconn.h"
#include "profile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define LDAP_DEPRECATED 0
#include <lber.h>
#include <ldap.h>

struct MsmLdapConn {
    LDAP *ld;
    char *uri;
    guint timeout;
};

static gboolean
rc_is_connection_error(int rc)
{
    return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
           rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY || rc == LDAP_LOCAL_ERROR ||
           rc == LDAP_ENCODING_ERROR || rc == LDAP_DECODING_ERROR;
}

static void
set_ldap_error(GError **error, MsmLdapConn *c, const char *what, int rc)
{
    char *diag = NULL;
    if (c && c->ld)
        ldap_get_option(c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    gboolean conn = rc_is_connection_error(rc);
    g_set_error(error, MSM_ERROR, conn ? MSM_ERROR_IO : MSM_ERROR_FAILED, "%s %s: %s%s%s%s%s",
                what, c ? c->uri : "", ldap_err2string(rc), diag && *diag ? " (" : "",
                diag && *diag ? diag : "", diag && *diag ? ")" : "",
                conn ? "; check that the server is running, then rerun (an interrupted run "
                       "is completed with --resume RUN)"
                     : "");
    if (diag)
        ldap_memfree(diag);
}

char *
msm_ldap_read_secret(const MsmLdapParams *p, GError **error)
{
    GKeyFile *kf = g_key_file_new();
    if (p->password_file)
        g_key_file_set_string(kf, "directory", "password_file", p->password_file);
    else if (p->password_env)
        g_key_file_set_string(kf, "directory", "password_env", p->password_env);
    else if (!p->no_env && g_getenv(MSM_LDAP_PASSWORD_ENV) != NULL)
        g_key_file_set_string(kf, "directory", "password_env", MSM_LDAP_PASSWORD_ENV);
    else if (p->prompt)
        g_key_file_set_boolean(kf, "directory", "password_prompt", TRUE);
    GError *err = NULL;
    char *secret = msm_profile_secret("directory", kf, &err);
    g_key_file_unref(kf);
    if (secret == NULL) {
        if (g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND) && !p->password_file) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "no bind password for %s: give --password-file FILE (mode 0600), set "
                        "%s, or run on a terminal to be asked",
                        p->bind_dn ? p->bind_dn : "(anonymous)", MSM_LDAP_PASSWORD_ENV);
            g_error_free(err);
        } else {
            g_propagate_error(error, err);
        }
        return NULL;
    }
    return secret;
}

/* A server that dies makes the next write on its socket raise SIGPIPE, whose
 * default action would kill the process before libldap can report
 * LDAP_SERVER_DOWN: ignore it unless the program chose a handler. */
static void
ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
    }
}

MsmLdapConn *
msm_ldap_connect(const MsmLdapParams *p, GError **error)
{
    ignore_sigpipe();
    if (p->uri == NULL || *p->uri == '\0') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "no directory URI: give --uri ldap://HOST:PORT or set uri in the [directory] "
                    "group of the site profile");
        return NULL;
    }
    gboolean ldaps = g_ascii_strncasecmp(p->uri, "ldaps://", 8) == 0;
    if (!ldaps && g_ascii_strncasecmp(p->uri, "ldap://", 7) != 0 &&
        g_ascii_strncasecmp(p->uri, "ldapi://", 8) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "directory URI %s: use ldap://HOST[:PORT] or ldaps://HOST[:PORT]", p->uri);
        return NULL;
    }
    if (ldaps && p->starttls) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "--starttls with %s: ldaps:// is already TLS; use ldap:// with --starttls",
                    p->uri);
        return NULL;
    }
    MsmLdapConn *c = g_new0(MsmLdapConn, 1);
    c->uri = g_strdup(p->uri);
    c->timeout = p->timeout ? p->timeout : 30;
    int rc = ldap_initialize(&c->ld, p->uri);
    if (rc != LDAP_SUCCESS) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT, "directory URI %s: %s",
                    p->uri, ldap_err2string(rc));
        c->ld = NULL;
        msm_ldap_close(c);
        return NULL;
    }
    int version = LDAP_VERSION3;
    ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(c->ld, LDAP_OPT_RESTART, LDAP_OPT_ON);
    struct timeval tv = {(time_t)c->timeout, 0};
    ldap_set_option(c->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    if (p->ca_file) {
        if (!g_file_test(p->ca_file, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "CA file %s does not exist: give the PEM file of the CA that signed the "
                        "server's certificate",
                        p->ca_file);
            msm_ldap_close(c);
            return NULL;
        }
        ldap_set_option(c->ld, LDAP_OPT_X_TLS_CACERTFILE, p->ca_file);
        int demand = LDAP_OPT_X_TLS_DEMAND;
        ldap_set_option(c->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        int zero = 0;
        ldap_set_option(c->ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
    }
    if (p->starttls) {
        rc = ldap_start_tls_s(c->ld, NULL, NULL);
        if (rc != LDAP_SUCCESS) {
            set_ldap_error(error, c, "StartTLS with", rc);
            msm_ldap_close(c);
            return NULL;
        }
    }
    char *secret = NULL;
    if (p->bind_dn && *p->bind_dn) {
        secret = msm_ldap_read_secret(p, error);
        if (secret == NULL) {
            msm_ldap_close(c);
            return NULL;
        }
    }
    struct berval cred = {0, NULL};
    if (secret) {
        cred.bv_len = strlen(secret);
        cred.bv_val = secret;
    }
    rc = ldap_sasl_bind_s(c->ld, p->bind_dn && *p->bind_dn ? p->bind_dn : NULL,
                          LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    cred.bv_val = NULL;
    cred.bv_len = 0;
    msm_secret_free(secret);
    if (rc != LDAP_SUCCESS) {
        if (rc == LDAP_INVALID_CREDENTIALS)
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "bind to %s as %s refused: invalid credentials; check the bind DN and "
                        "the password source",
                        c->uri, p->bind_dn ? p->bind_dn : "(anonymous)");
        else
            set_ldap_error(error, c, "bind to", rc);
        msm_ldap_close(c);
        return NULL;
    }
    return c;
}

void
msm_ldap_close(MsmLdapConn *c)
{
    if (c == NULL)
        return;
    if (c->ld)
        ldap_unbind_ext_s(c->ld, NULL, NULL);
    g_free(c->uri);
    g_free(c);
}

const char *
msm_ldap_uri(const MsmLdapConn *c)
{
    return c->uri;
}

/* ---- search ---- */

static MsmEntry *
entry_from_message(LDAP *ld, LDAPMessage *msg)
{
    char *dn = ldap_get_dn(ld, msg);
    MsmEntry *e = msm_entry_new(dn ? dn : "");
    if (dn)
        ldap_memfree(dn);
    BerElement *ber = NULL;
    for (char *a = ldap_first_attribute(ld, msg, &ber); a; a = ldap_next_attribute(ld, msg, ber)) {
        struct berval **vals = ldap_get_values_len(ld, msg, a);
        for (int i = 0; vals && vals[i]; i++)
            msm_entry_add(e, a, vals[i]->bv_val, vals[i]->bv_len);
        if (vals)
            ldap_value_free_len(vals);
        ldap_memfree(a);
    }
    if (ber)
        ber_free(ber, 0);
    return e;
}

gboolean
msm_ldap_search(MsmLdapConn *c, const char *base, int scope, const char *filter,
                guint page_size, MsmLdapEntryFunc func, gpointer user_data, guint64 *count_r,
                GError **error)
{
    struct berval cookie = {0, NULL};
    struct berval *next_cookie = NULL;
    int current_msgid = 0;
    guint64 count = 0;
    gboolean ok = FALSE;
    char *attrs[] = {(char *)LDAP_ALL_USER_ATTRIBUTES, NULL};
    if (page_size == 0)
        page_size = 500;
    for (;;) {
        LDAPControl *page = NULL;
        int rc = ldap_create_page_control(c->ld, (ber_int_t)page_size,
                                          cookie.bv_val ? &cookie : NULL, 1, &page);
        if (rc != LDAP_SUCCESS) {
            set_ldap_error(error, c, "paged results control for", rc);
            goto out;
        }
        LDAPControl *sctrls[] = {page, NULL};
        int msgid = 0;
        struct timeval tv = {(time_t)c->timeout * 10, 0};
        rc = ldap_search_ext(c->ld, base, scope, filter ? filter : "(objectClass=*)", attrs, 0,
                             sctrls, NULL, &tv, 0, &msgid);
        ldap_control_free(page);
        current_msgid = msgid;
        if (rc != LDAP_SUCCESS) {
            if (rc == LDAP_FILTER_ERROR)
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "search filter %s is not an RFC 4515 filter", filter);
            else
                set_ldap_error(error, c, "search on", rc);
            goto out;
        }
        gboolean page_done = FALSE;
        while (!page_done) {
            LDAPMessage *res = NULL;
            rc = ldap_result(c->ld, msgid, LDAP_MSG_ONE, &tv, &res);
            if (rc <= 0) {
                int err = LDAP_TIMEOUT;
                if (rc < 0)
                    ldap_get_option(c->ld, LDAP_OPT_RESULT_CODE, &err);
                set_ldap_error(error, c, "search on", err);
                if (res)
                    ldap_msgfree(res);
                goto out;
            }
            if (rc == LDAP_RES_SEARCH_ENTRY) {
                MsmEntry *e = entry_from_message(c->ld, res);
                ldap_msgfree(res);
                count++;
                if (!func(e, user_data, error))
                    goto abandon;
                continue;
            }
            if (rc == LDAP_RES_SEARCH_REFERENCE) {
                ldap_msgfree(res);
                continue;
            }
            /* LDAP_RES_SEARCH_RESULT */
            int result = 0;
            char *matched = NULL, *text = NULL;
            LDAPControl **rctrls = NULL;
            rc = ldap_parse_result(c->ld, res, &result, &matched, &text, NULL, &rctrls, 1);
            if (rc != LDAP_SUCCESS) {
                set_ldap_error(error, c, "search result from", rc);
                goto out;
            }
            if (result != LDAP_SUCCESS) {
                if (result == LDAP_NO_SUCH_OBJECT)
                    g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                                "base DN %s does not exist on %s (%s); check --base", base,
                                c->uri, text && *text ? text : ldap_err2string(result));
                else if (result == LDAP_FILTER_ERROR)
                    g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                                "search filter %s is not an RFC 4515 filter", filter);
                else
                    g_set_error(error, MSM_ERROR,
                                rc_is_connection_error(result) ? MSM_ERROR_IO : MSM_ERROR_FAILED,
                                "search of %s on %s failed: %s%s%s", base, c->uri,
                                ldap_err2string(result), text && *text ? ": " : "",
                                text ? text : "");
                ldap_memfree(matched);
                ldap_memfree(text);
                ldap_controls_free(rctrls);
                goto out;
            }
            ldap_memfree(matched);
            ldap_memfree(text);
            if (next_cookie) {
                ber_bvfree(next_cookie);
                next_cookie = NULL;
            }
            LDAPControl *pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
            if (pc) {
                ber_int_t estimate = 0;
                struct berval ck = {0, NULL};
                if (ldap_parse_pageresponse_control(c->ld, pc, &estimate, &ck) == LDAP_SUCCESS &&
                    ck.bv_len > 0)
                    next_cookie = ber_bvdup(&ck);
                if (ck.bv_val)
                    ber_memfree(ck.bv_val);
            }
            ldap_controls_free(rctrls);
            page_done = TRUE;
        }
        if (next_cookie == NULL)
            break;
        g_free(cookie.bv_val);
        cookie.bv_val = g_memdup2(next_cookie->bv_val, next_cookie->bv_len);
        cookie.bv_len = next_cookie->bv_len;
    }
    ok = TRUE;
    goto out;
abandon:
    /* the callback stopped: tell the server we no longer want this search */
    ldap_abandon_ext(c->ld, current_msgid, NULL, NULL);
out:
    if (next_cookie)
        ber_bvfree(next_cookie);
    g_free(cookie.bv_val);
    if (count_r)
        *count_r = count;
    return ok;
}

typedef struct {
    MsmEntry *entry;
} ReadOne;

static gboolean
read_one_cb(MsmEntry *entry, gpointer user_data, GError **error)
{
    (void)error;
    ReadOne *r = user_data;
    if (r->entry)
        msm_entry_free(r->entry);
    r->entry = entry;
    return TRUE;
}

gboolean
msm_ldap_read_entry(MsmLdapConn *c, const char *dn, MsmEntry **entry_r, GError **error)
{
    ReadOne r = {NULL};
    GError *err = NULL;
    *entry_r = NULL;
    if (!msm_ldap_search(c, dn, MSM_LDAP_SCOPE_BASE, NULL, 0, read_one_cb, &r, NULL, &err)) {
        if (g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND)) {
            g_error_free(err);
            return TRUE;
        }
        g_propagate_error(error, err);
        return FALSE;
    }
    *entry_r = r.entry;
    return TRUE;
}

/* ---- pipelined writes ---- */

typedef struct {
    char *buf; /* the record text the LDIFRecord points into */
    LDIFRecord lr;
    char *dn;
    gpointer tag;
} PendingOp;

struct MsmLdapWriter {
    MsmLdapConn *c;
    guint window;  /* the most operations in flight */
    guint current; /* the window now: 1 after a failure, doubling with each success */
    MsmLdapResultFunc func;
    gpointer user_data;
    GHashTable *pending; /* msgid -> PendingOp* */
};

static void
pending_free(gpointer p)
{
    PendingOp *op = p;
    ldap_ldif_record_done(&op->lr);
    g_free(op->buf);
    g_free(op->dn);
    g_free(op);
}

MsmLdapWriter *
msm_ldap_writer_new(MsmLdapConn *c, guint window, MsmLdapResultFunc func, gpointer user_data)
{
    MsmLdapWriter *w = g_new0(MsmLdapWriter, 1);
    w->c = c;
    w->window = window ? window : 64;
    w->current = 1;
    w->func = func;
    w->user_data = user_data;
    w->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, pending_free);
    return w;
}

/* Waits for one result (blocking) and dispatches it. */
static gboolean
writer_wait_one(MsmLdapWriter *w, GError **error)
{
    LDAPMessage *res = NULL;
    struct timeval tv = {(time_t)w->c->timeout * 10, 0};
    int rc = ldap_result(w->c->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &res);
    if (rc <= 0) {
        int err = LDAP_TIMEOUT;
        if (rc < 0)
            ldap_get_option(w->c->ld, LDAP_OPT_RESULT_CODE, &err);
        if (res)
            ldap_msgfree(res);
        set_ldap_error(error, w->c, "waiting for results from", err);
        g_prefix_error(error, "%u operation(s) outstanding, outcome unknown: ",
                       g_hash_table_size(w->pending));
        return FALSE;
    }
    int msgid = ldap_msgid(res);
    PendingOp *op = g_hash_table_lookup(w->pending, GINT_TO_POINTER(msgid));
    if (op == NULL) { /* not ours (unsolicited notice): ignore */
        ldap_msgfree(res);
        return TRUE;
    }
    int result = 0;
    char *text = NULL;
    int prc = ldap_parse_result(w->c->ld, res, &result, NULL, &text, NULL, NULL, 1);
    if (prc != LDAP_SUCCESS)
        result = prc;
    char *msg = g_strdup(text && *text ? text : (result ? ldap_err2string(result) : ""));
    if (text)
        ldap_memfree(text);
    g_hash_table_steal(w->pending, GINT_TO_POINTER(msgid));
    w->current = result == LDAP_SUCCESS ? MIN(w->window, w->current * 2) : 1;
    if (w->func)
        w->func(op->dn, result, msg, op->tag, w->user_data);
    g_free(msg);
    pending_free(op);
    return TRUE;
}

/* Copies a record into a NUL-terminated buffer without "version:" and
 * comment lines (and their continuation lines). */
static char *
clean_record(const char *record, gsize len)
{
    GString *s = g_string_sized_new(len + 1);
    const char *p = record, *end = record + len;
    gboolean skipping = FALSE;
    gboolean first = TRUE;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        gsize ll = (gsize)(le - p);
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        if (ll > 0 && p[0] == ' ' && skipping) {
            /* continuation of a skipped line */
        } else if (ll > 0 && p[0] == '#') {
            skipping = TRUE;
        } else if (first && ll >= 8 && g_ascii_strncasecmp(p, "version:", 8) == 0) {
            skipping = TRUE;
        } else if (ll == 0 && s->len == 0) {
            /* leading blank line */
        } else {
            skipping = FALSE;
            first = FALSE;
            g_string_append_len(s, p, (gssize)ll);
            g_string_append_c(s, '\n');
        }
        p = nl ? nl + 1 : end;
    }
    return g_string_free(s, FALSE);
}

gboolean
msm_ldap_writer_wait_slot(MsmLdapWriter *w, GError **error)
{
    while (g_hash_table_size(w->pending) >= w->current)
        if (!writer_wait_one(w, error))
            return FALSE;
    return TRUE;
}

gboolean
msm_ldap_writer_submit(MsmLdapWriter *w, const char *record, gsize len, gboolean default_add,
                       const char *name, guint64 line, gpointer tag, GError **error)
{
    if (!msm_ldap_writer_wait_slot(w, error))
        return FALSE;
    PendingOp *op = g_new0(PendingOp, 1);
    op->buf = clean_record(record, len);
    op->tag = tag;
    struct berval rbuf = {strlen(op->buf), op->buf};
    char errstr[] = "msmigrate";
    int rc = ldap_parse_ldif_record(&rbuf, (unsigned long)line, &op->lr, errstr,
                                    default_add ? LDIF_DEFAULT_ADD : 0);
    if (rc != 0 || op->lr.lr_dn.bv_val == NULL) {
        char *dn = msm_ldif_record_dn(record, len);
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s:%" G_GUINT64_FORMAT ": change record%s%s cannot be parsed as LDIF "
                    "(RFC 2849: \"dn:\", then \"changetype: add|modify|delete|modrdn\" and "
                    "its lines)",
                    name ? name : "(record)", line, dn ? " for " : "", dn ? dn : "");
        g_free(dn);
        if (rc == 0)
            ldap_ldif_record_done(&op->lr);
        g_free(op->buf);
        g_free(op);
        return FALSE;
    }
    op->dn = g_strndup(op->lr.lr_dn.bv_val, op->lr.lr_dn.bv_len);
    int msgid = 0;
    switch (op->lr.lr_op) {
    case LDAP_REQ_ADD:
        rc = ldap_add_ext(w->c->ld, op->dn, op->lr.lrop_mods, op->lr.lr_ctrls, NULL, &msgid);
        break;
    case LDAP_REQ_MODIFY:
        if (op->lr.lrop_mods == NULL || op->lr.lrop_mods[0] == NULL) {
            if (w->func)
                w->func(op->dn, LDAP_SUCCESS, "", tag, w->user_data);
            pending_free(op);
            return TRUE;
        }
        rc = ldap_modify_ext(w->c->ld, op->dn, op->lr.lrop_mods, op->lr.lr_ctrls, NULL, &msgid);
        break;
    case LDAP_REQ_DELETE:
        rc = ldap_delete_ext(w->c->ld, op->dn, op->lr.lr_ctrls, NULL, &msgid);
        break;
    case LDAP_REQ_MODRDN: {
        char *newrdn = g_strndup(op->lr.lrop_newrdn.bv_val, op->lr.lrop_newrdn.bv_len);
        char *newsup = op->lr.lrop_newsup.bv_val
                           ? g_strndup(op->lr.lrop_newsup.bv_val, op->lr.lrop_newsup.bv_len)
                           : NULL;
        rc = ldap_rename(w->c->ld, op->dn, newrdn, newsup, op->lr.lrop_delold, op->lr.lr_ctrls,
                         NULL, &msgid);
        g_free(newrdn);
        g_free(newsup);
        break;
    }
    default:
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s:%" G_GUINT64_FORMAT ": change record for %s: unsupported changetype",
                    name ? name : "(record)", line, op->dn);
        pending_free(op);
        return FALSE;
    }
    if (rc != LDAP_SUCCESS) {
        if (rc_is_connection_error(rc)) {
            set_ldap_error(error, w->c, "sending to", rc);
            g_prefix_error(error, "%s: ", op->dn);
            pending_free(op);
            return FALSE;
        }
        /* a request libldap refuses locally: report it like a server error */
        if (w->func)
            w->func(op->dn, rc, ldap_err2string(rc), tag, w->user_data);
        pending_free(op);
        return TRUE;
    }
    g_hash_table_insert(w->pending, GINT_TO_POINTER(msgid), op);
    return TRUE;
}

gboolean
msm_ldap_writer_flush(MsmLdapWriter *w, GError **error)
{
    while (g_hash_table_size(w->pending) > 0)
        if (!writer_wait_one(w, error))
            return FALSE;
    return TRUE;
}

guint
msm_ldap_writer_pending(const MsmLdapWriter *w)
{
    return g_hash_table_size(w->pending);
}

void
msm_ldap_writer_free(MsmLdapWriter *w)
{
    if (w == NULL)
        return;
    g_hash_table_unref(w->pending);
    g_free(w);
}

/* ---- change files ---- */

struct MsmLdifChangeReader {
    FILE *fp;
    char *path;
    guint64 lineno;
    GString *rec;
    guint64 rec_line;
};

MsmLdifChangeReader *
msm_ldif_change_reader_open(const char *path, GError **error)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ENOENT ? MSM_ERROR_NOT_FOUND : MSM_ERROR_IO,
                    "%s: %s", path, g_strerror(e));
        return NULL;
    }
    MsmLdifChangeReader *r = g_new0(MsmLdifChangeReader, 1);
    r->fp = fp;
    r->path = g_strdup(path);
    r->rec = g_string_new(NULL);
    return r;
}

gboolean
msm_ldif_change_reader_next(MsmLdifChangeReader *r, const char **record_r, gsize *len_r,
                            guint64 *line_r, GError **error)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    g_string_truncate(r->rec, 0);
    gboolean in_comment = FALSE;
    gboolean only_version = TRUE;
    *record_r = NULL;
    while ((n = getline(&line, &cap, r->fp)) >= 0) {
        r->lineno++;
        gsize ll = (gsize)n;
        while (ll > 0 && (line[ll - 1] == '\n' || line[ll - 1] == '\r'))
            ll--;
        if (ll == 0) {
            in_comment = FALSE;
            if (r->rec->len > 0 && !only_version)
                break;
            g_string_truncate(r->rec, 0);
            only_version = TRUE;
            continue;
        }
        if (line[0] == '#') {
            in_comment = TRUE;
            continue;
        }
        if (line[0] == ' ' && in_comment)
            continue;
        in_comment = FALSE;
        if (r->rec->len == 0)
            r->rec_line = r->lineno;
        if (line[0] != ' ' && g_ascii_strncasecmp(line, "version:", 8) != 0)
            only_version = FALSE;
        g_string_append_len(r->rec, line, (gssize)ll);
        g_string_append_c(r->rec, '\n');
    }
    free(line);
    if (ferror(r->fp)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: %s", r->path, g_strerror(errno));
        return FALSE;
    }
    if (r->rec->len > 0 && !only_version) {
        *record_r = r->rec->str;
        *len_r = r->rec->len;
        *line_r = r->rec_line;
    }
    return TRUE;
}

void
msm_ldif_change_reader_free(MsmLdifChangeReader *r)
{
    if (r == NULL)
        return;
    fclose(r->fp);
    g_free(r->path);
    g_string_free(r->rec, TRUE);
    g_free(r);
}

char *
msm_ldif_record_dn(const char *record, gsize len)
{
    const char *p = record, *end = record + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le - p >= 3 && g_ascii_strncasecmp(p, "dn:", 3) == 0) {
            GString *v = g_string_new(NULL);
            const char *q = p + 3;
            gboolean b64 = q < le && *q == ':';
            if (b64)
                q++;
            while (q < le && *q == ' ')
                q++;
            g_string_append_len(v, q, le - q);
            /* folded continuation lines */
            while (nl && nl + 1 < end && nl[1] == ' ') {
                const char *s = nl + 2;
                nl = memchr(s, '\n', (size_t)(end - s));
                const char *e2 = nl ? nl : end;
                g_string_append_len(v, s, e2 - s);
            }
            while (v->len && (v->str[v->len - 1] == '\r'))
                g_string_truncate(v, v->len - 1);
            if (!b64)
                return g_string_free(v, FALSE);
            gsize dl = 0;
            guchar *d = g_base64_decode(v->str, &dl);
            g_string_free(v, TRUE);
            char *s = g_strndup((const char *)d, dl);
            g_free(d);
            return s;
        }
        p = nl ? nl + 1 : end;
    }
    return NULL;
}
