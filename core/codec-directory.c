/*
 * NAME
 *	codec-directory.c - the directory codec of `msmigrate run` (LDIF or LDAP)
 * SUMMARY
 *	Kind MSM_KIND_DIRECTORY, name "directory", every canonical version
 *	(docs/formats/directory-run.md). The reader snapshots the source
 *	directory - offline the deployment's LDIF export <root>/ldap/directory.ldif,
 *	online (profile [directory] uri) a paged subtree search of base_dn - into
 *	<work>/directory/source.ldif, ordered domains and containers first, then
 *	users and groups, each phase parents before children (spill buckets per
 *	phase and DN depth: one entry in memory at a time), and yields its
 *	entries. The snapshot is kept: a resumed run reads the same entries, and
 *	the writer re-reads each entry as it was read from it (walking forward
 *	in step with the puts) to make one modify per entry. Each put appends a
 *	framed record (migrated entry, audit and undo records) to
 *	<work>/directory/puts.dat; commit keeps the last record of each entry
 *	(a resumed run puts again what the journal had not recorded) and writes
 *	migrated.ldif, audit.ldif and undo.ldif in snapshot order to the run's
 *	artifacts/directory/. Preview is the default; with [directory] apply =
 *	true and a uri the writer sends each modify (its record synced first),
 *	refusals go to rejects.ldif. Offline, writer_commit installs
 *	migrated.ldif as the target's ldap/directory.ldif (the replaced file kept
 *	for rollback). rollback applies the undo records to the server, or
 *	restores the LDIF file.
 * OWNERSHIP
 *	Readers and writers are (transfer full) to the host, freed by
 *	reader_close/writer_close. Items yielded are (transfer full).
 * ERRORS
 *	MSM_ERROR_NOT_FOUND when the source has no LDIF export and the profile
 *	no uri (naming the file and both fixes); MSM_ERROR_IO naming the file or
 *	the server; MSM_ERROR_PARSE "FILE:LINE: ..." from the LDIF reader;
 *	MSM_ERROR_FAILED for a modify the server refused (naming the DN, the
 *	result code and message, and the rejects file).
 */
#include "config.h"

#include "builtin.h"
#include "dirmap.h"
#include "dirmig-online.h"
#include "ldapconn.h"
#include "ldif.h"
#include "util.h"

#include <db.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPILL_DEPTHS 65

/* ---------------------------------------------------------------- settings */

typedef struct {
    char *uri, *base, *bind_dn, *password_file, *password_env, *ca_file;
    gboolean starttls, prompt, apply;
} DirServer;

static void
server_clear(DirServer *s)
{
    g_free(s->uri);
    g_free(s->base);
    g_free(s->bind_dn);
    g_free(s->password_file);
    g_free(s->password_env);
    g_free(s->ca_file);
    memset(s, 0, sizeof *s);
}

static gboolean
truthy(const char *v)
{
    return v && (g_ascii_strcasecmp(v, "true") == 0 || g_ascii_strcasecmp(v, "yes") == 0 ||
                 strcmp(v, "1") == 0);
}

static char *
opt_dup(MsmCtx *ctx, const char *key)
{
    const char *v = msm_ctx_option(ctx, "directory", key);
    return v && *v ? g_strdup(v) : NULL;
}

/* The server the profile names; FALSE (offline) when it names none. */
static gboolean
server_from_profile(MsmCtx *ctx, DirServer *s)
{
    memset(s, 0, sizeof *s);
    s->uri = opt_dup(ctx, "uri");
    if (s->uri == NULL)
        return FALSE;
    s->base = opt_dup(ctx, "base_dn");
    s->bind_dn = opt_dup(ctx, "bind_dn");
    s->password_file = opt_dup(ctx, "password_file");
    s->password_env = opt_dup(ctx, "password_env");
    s->ca_file = opt_dup(ctx, "ca_file");
    s->starttls = truthy(msm_ctx_option(ctx, "directory", "starttls"));
    s->prompt = truthy(msm_ctx_option(ctx, "directory", "password_prompt"));
    s->apply = truthy(msm_ctx_option(ctx, "directory", "apply"));
    return TRUE;
}

static void
server_params(const DirServer *s, MsmLdapParams *p)
{
    memset(p, 0, sizeof *p);
    p->uri = s->uri;
    p->starttls = s->starttls;
    p->ca_file = s->ca_file;
    p->bind_dn = s->bind_dn;
    p->password_file = s->password_file;
    p->password_env = s->password_env;
    p->prompt = s->prompt;
}

/* <work>/directory/NAME (transfer full); NULL outside a run. */
static char *
state_path(MsmCtx *ctx, const char *name, GError **error)
{
    const char *wd = msm_ctx_work_dir(ctx);
    if (wd == NULL || *wd == '\0') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the directory codec works only inside a run (it keeps its snapshot in "
                    "the run's work directory)");
        return NULL;
    }
    char *dir = g_build_filename(wd, "directory", NULL);
    if (!msm_mkdir_p(dir, TRUE, error)) {
        g_free(dir);
        return NULL;
    }
    char *p = g_build_filename(dir, name, NULL);
    g_free(dir);
    return p;
}

/* The connection parameters (never a password) kept for rollback, which has no
 * profile: <work>/directory/server.ini. */
static gboolean
server_save(MsmCtx *ctx, const DirServer *s, GError **error)
{
    char *path = state_path(ctx, "server.ini", error);
    if (path == NULL)
        return FALSE;
    GKeyFile *kf = g_key_file_new();
    g_key_file_set_string(kf, "directory", "uri", s->uri);
#define SETOPT(k, v)                                                                               \
    if (v)                                                                                         \
    g_key_file_set_string(kf, "directory", k, v)
    SETOPT("base_dn", s->base);
    SETOPT("bind_dn", s->bind_dn);
    SETOPT("password_file", s->password_file);
    SETOPT("password_env", s->password_env);
    SETOPT("ca_file", s->ca_file);
#undef SETOPT
    g_key_file_set_boolean(kf, "directory", "starttls", s->starttls);
    g_key_file_set_boolean(kf, "directory", "password_prompt", s->prompt);
    g_key_file_set_boolean(kf, "directory", "apply", s->apply);
    gsize len = 0;
    char *data = g_key_file_to_data(kf, &len, NULL);
    gboolean ok = msm_write_file_atomic(path, data, len, 0600, error);
    g_free(data);
    g_key_file_unref(kf);
    g_free(path);
    return ok;
}

static gboolean
server_load(const char *path, DirServer *s)
{
    memset(s, 0, sizeof *s);
    GKeyFile *kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL)) {
        g_key_file_unref(kf);
        return FALSE;
    }
    s->uri = g_key_file_get_string(kf, "directory", "uri", NULL);
    s->base = g_key_file_get_string(kf, "directory", "base_dn", NULL);
    s->bind_dn = g_key_file_get_string(kf, "directory", "bind_dn", NULL);
    s->password_file = g_key_file_get_string(kf, "directory", "password_file", NULL);
    s->password_env = g_key_file_get_string(kf, "directory", "password_env", NULL);
    s->ca_file = g_key_file_get_string(kf, "directory", "ca_file", NULL);
    s->starttls = g_key_file_get_boolean(kf, "directory", "starttls", NULL);
    s->prompt = g_key_file_get_boolean(kf, "directory", "password_prompt", NULL);
    s->apply = g_key_file_get_boolean(kf, "directory", "apply", NULL);
    g_key_file_unref(kf);
    return s->uri != NULL;
}

/* The server of this run: the profile's, else the one a run saved (verify and
 * rollback get no profile); FALSE when the run is offline. */
static gboolean
server_for_run(MsmCtx *ctx, DirServer *s)
{
    if (server_from_profile(ctx, s))
        return TRUE;
    char *ini = state_path(ctx, "server.ini", NULL);
    gboolean ok = ini && server_load(ini, s);
    g_free(ini);
    if (!ok)
        server_clear(s);
    return ok;
}

static MsmDirmigFrom
schema_of(const char *version)
{
    if (g_str_has_prefix(version, "sims-"))
        return MSM_DIRMIG_FROM_SIMS;
    if (g_str_has_prefix(version, "nms-"))
        return MSM_DIRMIG_FROM_NMS;
    return MSM_DIRMIG_FROM_SCHEMA1;
}

/* ---------------------------------------------------------------- snapshot */

/* Spill buckets: phase 0 = domains and containers, 1 = users and groups; one
 * temporary file per (phase, depth), unlinked at once. */
typedef struct {
    MsmDirmigOptions classify;
    char *dir;
    FILE *f[2][SPILL_DEPTHS];
    guint64 count;
} Buckets;

static gboolean
bucket_put(MsmEntry *e, gpointer data, GError **error)
{
    Buckets *b = data;
    MsmDirentKind k = msm_dirmap_classify(&b->classify, e);
    int phase = (k == MSM_DIRENT_USER || k == MSM_DIRENT_GROUP) ? 1 : 0;
    guint d = msm_dn_depth(msm_entry_dn(e));
    if (d >= SPILL_DEPTHS)
        d = SPILL_DEPTHS - 1;
    gboolean ok = FALSE;
    char *rec = msm_ldif_entry_to_string(e, error);
    if (rec == NULL)
        goto out;
    if (b->f[phase][d] == NULL) {
        char *p = g_strdup_printf("%s/%d-%02u", b->dir, phase, d);
        b->f[phase][d] = fopen(p, "w+");
        if (b->f[phase][d] == NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create the spill file %s: %s", p,
                        g_strerror(errno));
            g_free(p);
            goto out;
        }
        g_unlink(p);
        g_free(p);
    }
    if (fprintf(b->f[phase][d], "\n%s\n", rec) < 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write a spill file in %s: %s",
                    b->dir, g_strerror(errno));
        goto out;
    }
    b->count++;
    ok = TRUE;
out:
    g_free(rec);
    msm_entry_free(e);
    return ok;
}

static gboolean
copy_stream(FILE *in, FILE *out, const char *name, GError **error)
{
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", name,
                        g_strerror(errno));
            return FALSE;
        }
    if (ferror(in)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read while writing %s: %s", name,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

/* Writes the ordered snapshot of the source to path (atomically). */
static gboolean
snapshot_build(MsmCtx *ctx, const char *root, const char *version, const char *path,
               GError **error)
{
    Buckets b = {0};
    b.classify.from = schema_of(version);
    DirServer srv;
    gboolean online = server_for_run(ctx, &srv);
    gboolean ok = FALSE;
    FILE *out = NULL;
    char *tmp = g_strdup_printf("%s.tmp", path);
    char *tmpl = g_strdup_printf("%s.spill-XXXXXX", path);
    b.dir = g_mkdtemp(tmpl);
    if (b.dir == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create a spill directory next to %s: %s",
                    path, g_strerror(errno));
        goto out;
    }
    if (online) {
        if (srv.base == NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "site profile [directory]: uri %s is set but base_dn is not; add "
                        "base_dn = <the suffix holding the users and groups>",
                        srv.uri);
            goto out;
        }
        MsmLdapParams p;
        server_params(&srv, &p);
        MsmLdapConn *c = msm_ldap_connect(&p, error);
        if (c == NULL)
            goto out;
        gboolean sok = msm_ldap_search(c, srv.base, MSM_LDAP_SCOPE_SUB, NULL, 0, bucket_put, &b,
                                       NULL, error);
        msm_ldap_close(c);
        if (!sok)
            goto out;
    } else {
        char *in = g_build_filename(root, "ldap", "directory.ldif", NULL);
        MsmLdifReader *r = g_file_test(in, G_FILE_TEST_EXISTS) ? msm_ldif_reader_open(in, error)
                                                               : NULL;
        if (r == NULL) {
            if (error && *error == NULL)
                g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                            "no directory to migrate: %s does not exist and the site profile "
                            "names no [directory] uri; export the directory there (db2ldif) "
                            "or set uri and base_dn, or leave the directory out with --only",
                            in);
            g_free(in);
            goto out;
        }
        g_free(in);
        for (;;) {
            MsmEntry *e = NULL;
            if (!msm_ldif_reader_next(r, &e, error)) {
                msm_ldif_reader_free(r);
                goto out;
            }
            if (e == NULL)
                break;
            if (!bucket_put(e, &b, error)) {
                msm_ldif_reader_free(r);
                goto out;
            }
        }
        msm_ldif_reader_free(r);
    }
    int fd = g_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (out == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", tmp, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    fprintf(out, "version: 1\n# msmigrate run: the source directory as read, domains and "
                 "containers first, then users and groups, parents before children\n");
    for (int ph = 0; ph < 2; ph++)
        for (guint d = 0; d < SPILL_DEPTHS; d++) {
            FILE *f = b.f[ph][d];
            if (f == NULL)
                continue;
            if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0 || !copy_stream(f, out, tmp, error)) {
                if (error && *error == NULL)
                    g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "spill file for %s: %s", tmp,
                                g_strerror(errno));
                goto out;
            }
        }
    gboolean wok = fflush(out) == 0 && fsync(fileno(out)) == 0;
    wok = fclose(out) == 0 && wok;
    out = NULL;
    if (!wok || g_rename(tmp, path) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
        goto out;
    }
    msm_ctx_log(ctx, MSM_LOG_INFO, "directory: %" G_GUINT64_FORMAT " entries read from %s",
                b.count, online ? srv.uri : "the LDIF export");
    ok = TRUE;
out:
    if (out)
        fclose(out);
    if (!ok)
        g_unlink(tmp);
    for (int ph = 0; ph < 2; ph++)
        for (guint d = 0; d < SPILL_DEPTHS; d++)
            if (b.f[ph][d])
                fclose(b.f[ph][d]);
    if (b.dir)
        g_rmdir(b.dir);
    g_free(tmpl);
    g_free(tmp);
    if (online)
        server_clear(&srv);
    return ok;
}

/* ---------------------------------------------------------------- reader */

typedef struct {
    MsmLdifReader *r;
    char *path;
    char *unlink_at_close; /* a verify spill */
    guint64 total;
} DirReader;

static guint64
count_records(const char *path)
{
    FILE *f = fopen(path, "r");
    guint64 n = 0;
    char line[4096];
    if (f == NULL)
        return 0;
    gboolean bol = TRUE;
    while (fgets(line, sizeof line, f)) {
        if (bol && strncmp(line, "dn:", 3) == 0)
            n++;
        bol = strchr(line, '\n') != NULL;
    }
    fclose(f);
    return n;
}

static gboolean
dump_entry(MsmEntry *e, gpointer data, GError **error)
{
    gboolean ok = msm_ldif_writer_put(data, e, error);
    msm_entry_free(e);
    return ok;
}

static gpointer
dir_reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    const char *src = msm_ctx_source_root(ctx), *tgt = msm_ctx_target_root(ctx);
    char *snap = state_path(ctx, "source.ldif", error);
    if (snap == NULL)
        return NULL;
    char *committed = state_path(ctx, "committed", NULL);
    gboolean target_read = (src == NULL || strcmp(root, src) != 0) ||
                           (tgt && strcmp(root, tgt) == 0 &&
                            g_file_test(committed, G_FILE_TEST_EXISTS));
    g_free(committed);
    DirReader *dr = g_new0(DirReader, 1);
    DirServer srv;
    gboolean online = server_for_run(ctx, &srv);
    if (!target_read) {
        /* the snapshot of a resumed run is reused: the same entries, as first read */
        if (!g_file_test(snap, G_FILE_TEST_EXISTS) &&
            !snapshot_build(ctx, root, version, snap, error))
            goto fail;
        dr->path = g_strdup(snap);
    } else if (online && srv.apply) {
        /* the server as the run left it, spilled so that it can be pulled */
        char *v = state_path(ctx, "verify.ldif", error);
        if (v == NULL)
            goto fail;
        MsmLdapParams p;
        server_params(&srv, &p);
        MsmLdapConn *c = msm_ldap_connect(&p, error);
        MsmLdifWriter *w = c ? msm_ldif_writer_open(v, 0600, error) : NULL;
        gboolean sok = w && msm_ldap_search(c, srv.base, MSM_LDAP_SCOPE_SUB, NULL, 0, dump_entry,
                                            w, NULL, error);
        if (w)
            sok = msm_ldif_writer_close(w, sok ? error : NULL) && sok;
        msm_ldap_close(c);
        dr->path = v;
        dr->unlink_at_close = g_strdup(v);
        if (!sok)
            goto fail;
    } else if (online) {
        /* preview: the target is what the run would write */
        dr->path = msm_ctx_artifact_path(ctx, "directory/migrated.ldif", error);
        if (dr->path == NULL)
            goto fail;
    } else {
        dr->path = g_build_filename(root, "ldap", "directory.ldif", NULL);
    }
    dr->r = msm_ldif_reader_open(dr->path, error);
    if (dr->r == NULL)
        goto fail;
    dr->total = count_records(dr->path);
    if (online)
        server_clear(&srv);
    g_free(snap);
    return dr;
fail:
    if (online)
        server_clear(&srv);
    g_free(snap);
    if (dr->unlink_at_close)
        g_unlink(dr->unlink_at_close);
    g_free(dr->unlink_at_close);
    g_free(dr->path);
    g_free(dr);
    return NULL;
}

static gboolean
dir_reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    DirReader *dr = reader;
    MsmEntry *e = NULL;
    *item_r = NULL;
    if (!msm_ldif_reader_next(dr->r, &e, error))
        return FALSE;
    if (e == NULL)
        return TRUE;
    char *key = msm_dn_normalize(msm_entry_dn(e));
    *item_r = msm_item_new(MSM_KIND_DIRECTORY, key, e);
    g_free(key);
    return TRUE;
}

static void
dir_reader_close(gpointer reader)
{
    DirReader *dr = reader;
    msm_ldif_reader_free(dr->r);
    if (dr->unlink_at_close)
        g_unlink(dr->unlink_at_close);
    g_free(dr->unlink_at_close);
    g_free(dr->path);
    g_free(dr);
}

static gboolean
dir_reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    DirReader *dr = reader;
    *items_r = dr->total;
    *bytes_r = 0;
    return TRUE;
}

/* ---------------------------------------------------------------- writer */

/* Every put appends one framed record to <work>/directory/puts.dat:
 *   "P <position> <keylen> <migrated len> <audit len> <undo len>\n"
 *   key, migrated record, audit record, undo record (exact bytes), "\n"
 * position is the entry's index in the snapshot (G_MAXUINT64: not in it).
 * A put repeated after a crash (the journal may lag behind the writer) appends
 * again; commit keeps the last record of each key, in snapshot order, so the
 * artifacts hold every entry once ("replace, never append"). */
enum { REC_MIGRATED, REC_AUDIT, REC_UNDO, N_REC };
static const char *const rec_names[N_REC] = {"migrated.ldif", "audit.ldif", "undo.ldif"};
static const char *const rec_titles[N_REC] = {
    "migrated entries, as the chain of hops left them",
    "audit: one modify per changed entry (the change the run makes)",
    "undo: restores every changed entry exactly (msmigrate rollback applies it)"};

typedef struct {
    guint64 pos;
    GString *key;
    GString *rec[N_REC];
} PutRec;

static void
putrec_init(PutRec *r)
{
    r->pos = 0;
    r->key = g_string_new(NULL);
    for (int i = 0; i < N_REC; i++)
        r->rec[i] = g_string_new(NULL);
}

static void
putrec_clear(PutRec *r)
{
    g_string_free(r->key, TRUE);
    for (int i = 0; i < N_REC; i++)
        g_string_free(r->rec[i], TRUE);
}

static gboolean
read_exact(FILE *f, GString *s, gsize n)
{
    g_string_set_size(s, n);
    return n == 0 || fread(s->str, 1, n, f) == n;
}

/* 1: a record, 0: clean end, -1: a torn or invalid record (a killed writer). */
static int
putrec_read(FILE *f, PutRec *r)
{
    char head[160];
    if (fgets(head, sizeof head, f) == NULL)
        return feof(f) ? 0 : -1;
    guint64 pos;
    gsize kl, l[N_REC];
    if (sscanf(head, "P %" G_GUINT64_FORMAT " %zu %zu %zu %zu\n", &pos, &kl, &l[0], &l[1],
               &l[2]) != 5 ||
        !g_str_has_suffix(head, "\n"))
        return -1;
    r->pos = pos;
    if (!read_exact(f, r->key, kl))
        return -1;
    for (int i = 0; i < N_REC; i++)
        if (!read_exact(f, r->rec[i], l[i]))
            return -1;
    return fgetc(f) == '\n' ? 1 : -1;
}

typedef struct {
    MsmCtx *ctx;
    char *root;
    char *puts_path;
    FILE *puts;
    char *rej_path;          /* apply only */
    FILE *rej;
    char *snap_path;
    MsmLdifReader *orig;     /* the snapshot, walked in step with the puts */
    guint64 orig_pos;        /* index of the next snapshot entry */
    DirServer srv;
    gboolean online;
    MsmLdapConn *conn;
    MsmLdapWriter *lw;
    int last_rc;
    char *last_msg;
} DirWriter;

static void
on_result(const char *dn, int rc, const char *message, gpointer tag, gpointer user_data)
{
    (void)dn;
    (void)tag;
    DirWriter *w = user_data;
    w->last_rc = rc;
    g_free(w->last_msg);
    w->last_msg = g_strdup(message ? message : "");
}

static void
dir_writer_close(gpointer writer)
{
    DirWriter *w = writer;
    if (w == NULL)
        return;
    if (w->puts)
        fclose(w->puts);
    if (w->rej)
        fclose(w->rej);
    msm_ldap_writer_free(w->lw);
    msm_ldap_close(w->conn);
    if (w->online)
        server_clear(&w->srv);
    msm_ldif_reader_free(w->orig);
    g_free(w->puts_path);
    g_free(w->rej_path);
    g_free(w->snap_path);
    g_free(w->last_msg);
    g_free(w->root);
    g_free(w);
}

/* Opens (creates) path for appending and reading. */
static FILE *
open_append(const char *path, GError **error)
{
    int fd = g_open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "r+") : NULL;
    if (f == NULL || fseeko(f, 0, SEEK_END) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot open %s: %s", path, g_strerror(errno));
        if (f)
            fclose(f);
        else if (fd >= 0)
            close(fd);
        return NULL;
    }
    return f;
}

/* Cuts a torn last record (a writer killed in the middle of a put). */
static gboolean
puts_repair(DirWriter *w, GError **error)
{
    PutRec r;
    putrec_init(&r);
    rewind(w->puts);
    off_t good = 0;
    int st;
    while ((st = putrec_read(w->puts, &r)) == 1)
        good = ftello(w->puts);
    putrec_clear(&r);
    gboolean ok = TRUE;
    if (st < 0) {
        msm_ctx_log(w->ctx, MSM_LOG_INFO, "directory: %s: dropping a torn last record at byte %lld",
                    w->puts_path, (long long)good);
        ok = ftruncate(fileno(w->puts), good) == 0;
    }
    if (!ok || fseeko(w->puts, 0, SEEK_END) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot repair %s: %s", w->puts_path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gpointer
dir_writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    DirWriter *w = g_new0(DirWriter, 1);
    w->ctx = ctx;
    w->root = g_strdup(root);
    w->online = server_for_run(ctx, &w->srv);
    w->puts_path = state_path(ctx, "puts.dat", error);
    w->snap_path = w->puts_path ? state_path(ctx, "source.ldif", error) : NULL;
    char *committed = w->snap_path ? state_path(ctx, "committed", error) : NULL;
    if (committed == NULL)
        goto fail;
    g_unlink(committed); /* a resumed kind: verify must read the source again */
    g_free(committed);
    if ((w->puts = open_append(w->puts_path, error)) == NULL || !puts_repair(w, error))
        goto fail;
    if (w->online && !server_save(ctx, &w->srv, error))
        goto fail;
    if (w->online && w->srv.apply) {
        w->rej_path = msm_ctx_artifact_path(ctx, "directory/rejects.ldif", error);
        if (w->rej_path == NULL || (w->rej = open_append(w->rej_path, error)) == NULL)
            goto fail;
        if (ftello(w->rej) == 0)
            fprintf(w->rej, "version: 1\n# rejects: modifies the server refused, each after its "
                            "error (msmigrate run %s; docs/formats/directory-run.md)\n",
                    msm_ctx_run_id(ctx));
        MsmLdapParams p;
        server_params(&w->srv, &p);
        w->conn = msm_ldap_connect(&p, error);
        if (w->conn == NULL)
            goto fail;
        w->lw = msm_ldap_writer_new(w->conn, 1, on_result, w);
    }
    return w;
fail:
    dir_writer_close(w);
    return NULL;
}

/* The entry as read whose DN normalises to key, from the snapshot, and its
 * index there; NULL when the entry is not in the source (emitted by a hop).
 * (transfer full) */
static MsmEntry *
find_original(DirWriter *w, const char *key, guint64 *pos_r, GError **error)
{
    *pos_r = G_MAXUINT64;
    for (int pass = 0; pass < 2; pass++) {
        if (w->orig == NULL) {
            if (!g_file_test(w->snap_path, G_FILE_TEST_EXISTS))
                return NULL;
            w->orig = msm_ldif_reader_open(w->snap_path, error);
            w->orig_pos = 0;
            if (w->orig == NULL)
                return NULL;
        }
        for (;;) {
            MsmEntry *e = NULL;
            if (!msm_ldif_reader_next(w->orig, &e, error))
                return NULL;
            if (e == NULL)
                break;
            guint64 pos = w->orig_pos++;
            char *k = msm_dn_normalize(msm_entry_dn(e));
            gboolean same = strcmp(k, key) == 0;
            g_free(k);
            if (same) {
                *pos_r = pos;
                return e;
            }
            msm_entry_free(e);
        }
        /* not ahead of us: start again from the top once (puts out of order) */
        msm_ldif_reader_free(w->orig);
        w->orig = NULL;
    }
    return NULL;
}

/* "dn: ...\nchangetype: add\n..." for an entry that is new (transfer full). */
static char *
add_record(const MsmEntry *e, GError **error)
{
    char *rec = msm_ldif_entry_to_string(e, error);
    if (rec == NULL)
        return NULL;
    char *nl = strchr(rec, '\n');
    while (nl && nl[1] == ' ') /* a folded dn line */
        nl = strchr(nl + 1, '\n');
    char *out = nl ? g_strdup_printf("%.*s\nchangetype: add%s", (int)(nl - rec), rec, nl)
                   : g_strdup_printf("%s\nchangetype: add\n", rec);
    g_free(rec);
    return out;
}

static char *
delete_record(const MsmEntry *e)
{
    GString *s = g_string_new(NULL);
    const char *dn = msm_entry_dn(e);
    msm_ldif_append_value(s, "dn", dn, strlen(dn));
    g_string_append(s, "changetype: delete\n");
    return g_string_free(s, FALSE);
}

static gboolean
dir_writer_put(gpointer writer, MsmItem *item, GError **error)
{
    DirWriter *w = writer;
    const MsmEntry *e = item->payload;
    gboolean ok = FALSE;
    char *rec[N_REC] = {NULL, NULL, NULL};
    guint64 pos = G_MAXUINT64;
    GError *ferr = NULL;
    MsmEntry *orig = find_original(w, item->key, &pos, &ferr);
    if (ferr) {
        g_propagate_prefixed_error(error, ferr, "directory %s: re-reading the entry as read: ",
                                   msm_entry_dn(e));
        goto out;
    }
    rec[REC_MIGRATED] = msm_ldif_entry_to_string(e, error);
    if (rec[REC_MIGRATED] == NULL)
        goto out;
    if (orig) {
        rec[REC_AUDIT] = msm_entry_diff_ldif(orig, e);
        rec[REC_UNDO] = rec[REC_AUDIT] ? msm_entry_diff_ldif(e, orig) : NULL;
    } else {
        if ((rec[REC_AUDIT] = add_record(e, error)) == NULL)
            goto out;
        rec[REC_UNDO] = delete_record(e);
    }
    gsize len[N_REC];
    for (int i = 0; i < N_REC; i++)
        len[i] = rec[i] ? strlen(rec[i]) : 0;
    gboolean wok = fprintf(w->puts, "P %" G_GUINT64_FORMAT " %zu %zu %zu %zu\n", pos,
                           strlen(item->key), len[0], len[1], len[2]) > 0 &&
                   fwrite(item->key, 1, strlen(item->key), w->puts) == strlen(item->key);
    for (int i = 0; wok && i < N_REC; i++)
        wok = len[i] == 0 || fwrite(rec[i], 1, len[i], w->puts) == len[i];
    /* flushed to the kernel at once: a killed process loses nothing it put;
     * before a modify is sent its undo record is on disk */
    wok = wok && fputc('\n', w->puts) != EOF && fflush(w->puts) == 0;
    if (wok && w->lw && rec[REC_AUDIT])
        wok = fdatasync(fileno(w->puts)) == 0;
    if (!wok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", w->puts_path,
                    g_strerror(errno));
        goto out;
    }
    if (w->lw && rec[REC_AUDIT]) {
        w->last_rc = -1;
        if (!msm_ldap_writer_submit(w->lw, rec[REC_AUDIT], len[REC_AUDIT], FALSE, "audit.ldif", 0,
                                    NULL, error) ||
            !msm_ldap_writer_flush(w->lw, error))
            goto out;
        if (w->last_rc != 0) {
            if (fprintf(w->rej, "\n# error: %d %s\n%s", w->last_rc,
                        w->last_msg ? w->last_msg : "", rec[REC_AUDIT]) < 0 ||
                fflush(w->rej) != 0)
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", w->rej_path,
                            g_strerror(errno));
            else
                g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                            "directory %s: the server refused the modify: %d %s (the record is "
                            "in %s; fix it and resume the run)",
                            msm_entry_dn(e), w->last_rc, w->last_msg ? w->last_msg : "",
                            w->rej_path);
            goto out;
        }
    }
    ok = TRUE;
out:
    for (int i = 0; i < N_REC; i++)
        g_free(rec[i]);
    msm_entry_free(orig);
    return ok;
}

static gboolean
copy_stream_to(FILE *in, const char *src, const char *dst, GError **error)
{
    char *tmp = g_strdup_printf("%s.msmigrate-tmp", dst);
    int fd = g_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    gboolean ok = out != NULL;
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", tmp, g_strerror(errno));
    else
        ok = copy_stream(in, out, src, error);
    if (out) {
        gboolean c = fflush(out) == 0 && fsync(fileno(out)) == 0;
        c = fclose(out) == 0 && c;
        if (ok && !c)
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp,
                        g_strerror(errno));
        ok = ok && c;
    } else if (fd >= 0) {
        close(fd);
    }
    if (ok && g_rename(tmp, dst) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot rename %s to %s: %s", tmp, dst,
                    g_strerror(errno));
        ok = FALSE;
    }
    if (!ok)
        g_unlink(tmp);
    g_free(tmp);
    return ok;
}

/* Copies src to dst atomically (dst's directory must exist). */
static gboolean
copy_file(const char *src, const char *dst, GError **error)
{
    FILE *in = fopen(src, "r");
    if (in == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", src, g_strerror(errno));
        return FALSE;
    }
    gboolean ok = copy_stream_to(in, src, dst, error);
    fclose(in);
    return ok;
}

static gboolean
bdb_fail(GError **error, const char *path, const char *what, int ret)
{
    g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: %s: %s", path, what, db_strerror(ret));
    return FALSE;
}

/* Writes the artifacts from puts.dat: the last record of each key, in
 * snapshot order (an on-disk B-tree position+key -> offset, so memory stays
 * bounded), each file written to a temporary and renamed. */
static gboolean
write_artifacts(DirWriter *w, GError **error)
{
    gboolean ok = FALSE;
    DB *db = NULL;
    DBC *cur = NULL;
    FILE *out[N_REC] = {NULL, NULL, NULL};
    char *dst[N_REC] = {NULL, NULL, NULL}, *tmp[N_REC] = {NULL, NULL, NULL};
    char *dbpath = state_path(w->ctx, "commit.db", error);
    PutRec r;
    putrec_init(&r);
    if (dbpath == NULL)
        goto out;
    g_unlink(dbpath);
    int ret = db_create(&db, NULL, 0);
    if (ret != 0 || (ret = db->open(db, NULL, dbpath, NULL, DB_BTREE, DB_CREATE, 0600)) != 0) {
        bdb_fail(error, dbpath, "cannot create the commit index", ret);
        goto out;
    }
    if (fflush(w->puts) != 0 || fseeko(w->puts, 0, SEEK_SET) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", w->puts_path,
                    g_strerror(errno));
        goto out;
    }
    for (;;) {
        off_t at = ftello(w->puts);
        int st = putrec_read(w->puts, &r);
        if (st == 0)
            break;
        if (st < 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: a malformed record at byte %lld; resume the run to repair it",
                        w->puts_path, (long long)at);
            goto out;
        }
        GString *k = g_string_sized_new(8 + r.key->len);
        for (int b = 7; b >= 0; b--)
            g_string_append_c(k, (char)((r.pos >> (8 * b)) & 0xff));
        g_string_append_len(k, r.key->str, r.key->len);
        gint64 off = (gint64)at;
        DBT key = {0}, val = {0};
        key.data = k->str;
        key.size = (u_int32_t)k->len;
        val.data = &off;
        val.size = sizeof off;
        ret = db->put(db, NULL, &key, &val, 0); /* a later put replaces an earlier one */
        g_string_free(k, TRUE);
        if (ret != 0) {
            bdb_fail(error, dbpath, "cannot index a put", ret);
            goto out;
        }
    }
    for (int i = 0; i < N_REC; i++) {
        char *rel = g_strdup_printf("directory/%s", rec_names[i]);
        dst[i] = msm_ctx_artifact_path(w->ctx, rel, error);
        g_free(rel);
        if (dst[i] == NULL)
            goto out;
        tmp[i] = g_strdup_printf("%s.tmp", dst[i]);
        int fd = g_open(tmp[i], O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
        out[i] = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (out[i] == NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", tmp[i],
                        g_strerror(errno));
            if (fd >= 0)
                close(fd);
            goto out;
        }
        fprintf(out[i], "version: 1\n# %s (msmigrate run %s; docs/formats/directory-run.md)\n",
                rec_titles[i], msm_ctx_run_id(w->ctx));
    }
    if ((ret = db->cursor(db, NULL, &cur, 0)) != 0) {
        bdb_fail(error, dbpath, "cannot read the commit index", ret);
        goto out;
    }
    for (;;) {
        DBT key = {0}, val = {0};
        ret = cur->get(cur, &key, &val, DB_NEXT);
        if (ret == DB_NOTFOUND)
            break;
        gint64 off = 0;
        if (ret != 0 || val.size != sizeof off) {
            bdb_fail(error, dbpath, "cannot read the commit index", ret ? ret : EINVAL);
            goto out;
        }
        memcpy(&off, val.data, sizeof off);
        if (fseeko(w->puts, (off_t)off, SEEK_SET) != 0 || putrec_read(w->puts, &r) != 1) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: cannot re-read the record at byte %"
                        G_GINT64_FORMAT, w->puts_path, off);
            goto out;
        }
        for (int i = 0; i < N_REC; i++)
            if (r.rec[i]->len &&
                fprintf(out[i], "\n%s%s", r.rec[i]->str,
                        g_str_has_suffix(r.rec[i]->str, "\n") ? "" : "\n") < 0) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp[i],
                            g_strerror(errno));
                goto out;
            }
    }
    for (int i = 0; i < N_REC; i++) {
        gboolean c = fflush(out[i]) == 0 && fsync(fileno(out[i])) == 0;
        c = fclose(out[i]) == 0 && c;
        out[i] = NULL;
        if (!c || g_rename(tmp[i], dst[i]) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", dst[i],
                        g_strerror(errno));
            goto out;
        }
    }
    ok = fseeko(w->puts, 0, SEEK_END) == 0;
out:
    if (cur)
        cur->close(cur);
    if (db)
        db->close(db, 0);
    if (dbpath)
        g_unlink(dbpath);
    g_free(dbpath);
    for (int i = 0; i < N_REC; i++) {
        if (out[i])
            fclose(out[i]);
        if (tmp[i])
            g_unlink(tmp[i]);
        g_free(tmp[i]);
        g_free(dst[i]);
    }
    putrec_clear(&r);
    return ok;
}

static gboolean
dir_writer_commit(gpointer writer, GError **error)
{
    DirWriter *w = writer;
    if (fflush(w->puts) != 0 || fsync(fileno(w->puts)) != 0 ||
        (w->rej && (fflush(w->rej) != 0 || fsync(fileno(w->rej)) != 0))) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", w->puts_path,
                    g_strerror(errno));
        return FALSE;
    }
    if (!write_artifacts(w, error))
        return FALSE;
    if (!w->online) {
        /* offline: the target deployment's LDIF export becomes the migrated one;
         * the file it replaces is kept once, for rollback */
        char *ldap = g_build_filename(w->root, "ldap", NULL);
        char *dst = g_build_filename(ldap, "directory.ldif", NULL);
        char *saved = state_path(w->ctx, "target-before.ldif", error);
        char *absent = saved ? state_path(w->ctx, "target-absent", error) : NULL;
        char *mig = absent ? msm_ctx_artifact_path(w->ctx, "directory/migrated.ldif", error) : NULL;
        gboolean ok = mig && msm_mkdir_p(ldap, FALSE, error);
        if (ok && !g_file_test(saved, G_FILE_TEST_EXISTS) &&
            !g_file_test(absent, G_FILE_TEST_EXISTS)) {
            if (g_file_test(dst, G_FILE_TEST_EXISTS))
                ok = copy_file(dst, saved, error);
            else
                ok = msm_write_file_atomic(absent, "", 0, 0600, error);
        }
        ok = ok && copy_file(mig, dst, error);
        g_free(ldap);
        g_free(dst);
        g_free(saved);
        g_free(absent);
        g_free(mig);
        if (!ok)
            return FALSE;
    }
    char *committed = state_path(w->ctx, "committed", error);
    gboolean ok = committed && msm_write_file_atomic(committed, "", 0, 0600, error);
    g_free(committed);
    return ok;
}

/* ---------------------------------------------------------------- rollback */

/* The undo records of every put, in put order, into path: also what a run
 * interrupted before its commit sent (a record twice restores the same
 * values twice: harmless). */
static gboolean
undo_from_puts(const char *puts_path, const char *path, GError **error)
{
    FILE *in = fopen(puts_path, "r");
    if (in == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", puts_path,
                    g_strerror(errno));
        return FALSE;
    }
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    gboolean ok = out != NULL;
    if (!ok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
    } else {
        fprintf(out, "version: 1\n# rollback: the undo records of every put (%s)\n", puts_path);
        PutRec r;
        putrec_init(&r);
        while (putrec_read(in, &r) == 1) /* a torn last record was never sent */
            if (r.rec[REC_UNDO]->len)
                fprintf(out, "\n%s", r.rec[REC_UNDO]->str);
        putrec_clear(&r);
        ok = fflush(out) == 0 && !ferror(out);
        ok = fclose(out) == 0 && ok;
        if (!ok)
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path,
                        g_strerror(errno));
    }
    fclose(in);
    return ok;
}

static gboolean
dir_rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    char *ini = state_path(ctx, "server.ini", error);
    char *saved = ini ? state_path(ctx, "target-before.ldif", error) : NULL;
    char *absent = saved ? state_path(ctx, "target-absent", error) : NULL;
    char *puts = absent ? state_path(ctx, "puts.dat", error) : NULL;
    gboolean ok = puts != NULL;
    DirServer srv;
    if (ok && server_load(ini, &srv)) {
        if (srv.apply && g_file_test(puts, G_FILE_TEST_EXISTS)) {
            char *undo = state_path(ctx, "rollback-undo.ldif", error);
            char *rej = undo ? msm_ctx_artifact_path(ctx, "directory/rollback-rejects.ldif", error)
                             : NULL;
            ok = rej && undo_from_puts(puts, undo, error);
            if (ok) {
                MsmLdapParams p;
                server_params(&srv, &p);
                MsmDirmigApplyReport rep = {0};
                ok = msm_dirmig_apply_ldif(&p, undo, rej, FALSE, TRUE, 0, &rep, error);
                msm_ctx_log(ctx, MSM_LOG_INFO,
                            "directory rollback: %" G_GUINT64_FORMAT " undo records, %"
                            G_GUINT64_FORMAT " applied, %" G_GUINT64_FORMAT " refused",
                            rep.records, rep.applied, rep.rejected);
                if (ok && rep.rejected) {
                    g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                                "directory rollback: the server refused %" G_GUINT64_FORMAT
                                " undo records (see %s); fix them and roll back again",
                                rep.rejected, rej);
                    ok = FALSE;
                }
            }
            g_free(undo);
            g_free(rej);
        }
        server_clear(&srv);
    } else if (ok) {
        char *dst = g_build_filename(root, "ldap", "directory.ldif", NULL);
        if (g_file_test(saved, G_FILE_TEST_EXISTS)) {
            ok = copy_file(saved, dst, error);
        } else if (g_file_test(absent, G_FILE_TEST_EXISTS)) {
            if (g_unlink(dst) != 0 && errno != ENOENT) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot remove %s: %s", dst,
                            g_strerror(errno));
                ok = FALSE;
            }
        }
        g_free(dst);
    }
    g_free(ini);
    g_free(saved);
    g_free(absent);
    g_free(puts);
    return ok;
}

static const MsmCodec directory_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "directory",
    .kind = MSM_KIND_DIRECTORY,
    .versions = NULL, /* set on first use: every canonical version */
    .flags = 0,
    .reader_open = dir_reader_open,
    .reader_next = dir_reader_next,
    .reader_close = dir_reader_close,
    .writer_open = dir_writer_open,
    .writer_put = dir_writer_put,
    .writer_commit = dir_writer_commit,
    .writer_close = dir_writer_close,
    .reader_estimate = dir_reader_estimate,
    .rollback = dir_rollback,
};

const MsmCodec *
msm_core_directory_codec(void)
{
    static MsmCodec codec;
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        codec = directory_codec;
        codec.versions = msm_version_all();
        g_once_init_leave(&once, 1);
    }
    return &codec;
}
