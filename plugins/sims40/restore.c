/*
 * NAME
 *	restore.c - imsrestore semantics for SIMS 4.0 streams (see restore.h)
 * DESCRIPTION
 *	Folder names: a raw SIMS name is scanned left to right. Printable
 *	US-ASCII other than '&' stands for itself; "&-" is '&'; a run "&...-"
 *	that decodes as modified UTF-7 (RFC 3501 5.1.3) gives its characters.
 *	Everything else - bytes >= 0x80, control characters, a '&' that does
 *	not start a valid run - is "not encoded in MUTF-7": imsrestore's
 *	default writes a blank for each such byte (seed 003); with -n the
 *	byte is taken as ISO-8859-1 (so two names that differ keep differing)
 *	and, if the result still equals a name the owner already has, " (2)",
 *	" (3)"... is appended. The names are per owner.
 *	Batches: each user file gets a pipe; a producer thread writes the
 *	imbackup stream of those users into it, a consumer thread restores
 *	from it; at most `concurrency` pairs run at once (GThreadPool), and
 *	writer_put is serialised with a mutex unless the target codec is
 *	MSM_CODEC_THREADSAFE.
 */
#include "config.h"

#include "restore.h"

#include "imbackup.h"

#include "ldif.h"
#include "legacy-store.h"
#include "mutf7.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

gboolean
sims40_rename_map_load(const char *path, GHashTable **map, GError **error)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return FALSE;
    if (*map == NULL)
        *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char **lines = g_strsplit(text, "\n", -1);
    gboolean ok = TRUE;
    for (guint i = 0; ok && lines[i]; i++) {
        g_strstrip(lines[i]);
        if (lines[i][0] == '\0' || lines[i][0] == '#')
            continue;
        char *eq = strchr(lines[i], '=');
        if (eq == NULL || eq == lines[i] || eq[1] == '\0') {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: line %u: expected oldname=newname (for example "
                        "anderson=Anderson), found \"%s\"",
                        path, i + 1, lines[i]);
            ok = FALSE;
            break;
        }
        *eq = '\0';
        g_strstrip(lines[i]);
        char *to = g_strstrip(eq + 1);
        if (!msm_legacy_user_is_safe(to) || !msm_legacy_user_is_safe(lines[i])) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s: line %u: \"%s\" or \"%s\" is not a safe user name", path, i + 1,
                        lines[i], to);
            ok = FALSE;
            break;
        }
        g_hash_table_replace(*map, g_strdup(lines[i]), g_strdup(to));
    }
    g_strfreev(lines);
    g_free(text);
    return ok;
}

gboolean
sims40_rename_map_from_ldif(const char *path, GHashTable **map, GError **error)
{
    MsmLdifReader *r = msm_ldif_reader_open(path, error);
    if (r == NULL)
        return FALSE;
    if (*map == NULL)
        *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gboolean ok = TRUE;
    for (;;) {
        MsmEntry *e = NULL;
        if (!msm_ldif_reader_next(r, &e, error)) {
            ok = FALSE;
            break;
        }
        if (e == NULL)
            break;
        GPtrArray *uids = msm_entry_get(e, "uid");
        for (guint i = 0; uids && i < uids->len; i++) {
            GBytes *b = uids->pdata[i];
            gsize len = 0;
            const char *d = g_bytes_get_data(b, &len);
            char *uid = g_strndup(d, len);
            char *low = g_utf8_strdown(uid, -1);
            if (strcmp(low, uid) != 0 && msm_legacy_user_is_safe(uid)) {
                g_hash_table_replace(*map, low, uid);
                low = uid = NULL;
            }
            g_free(low);
            g_free(uid);
        }
        msm_entry_free(e);
    }
    msm_ldif_reader_free(r);
    return ok;
}

char *
sims40_fix_folder_name(const char *raw, gboolean distinct)
{
    GString *out = g_string_new(NULL);
    const char *p = raw;
    while (*p) {
        guchar c = (guchar)*p;
        if (c == '&') {
            const char *dash = strchr(p, '-');
            gboolean done = FALSE;
            if (dash) {
                char *run = g_strndup(p, dash - p + 1);
                char *u = msm_mutf7_decode(run, NULL);
                if (u) {
                    g_string_append(out, u);
                    p = dash + 1;
                    done = TRUE;
                }
                g_free(u);
                g_free(run);
            }
            if (!done) {
                g_string_append_c(out, distinct ? '&' : ' ');
                p++;
            }
        } else if (c >= 0x20 && c < 0x7f) {
            g_string_append_c(out, (char)c);
            p++;
        } else {
            if (distinct && c >= 0xa0)
                g_string_append_unichar(out, c); /* ISO-8859-1 */
            else if (distinct)
                g_string_append_printf(out, "\\x%02x", c); /* controls: visible, distinct */
            else
                g_string_append_c(out, ' ');
            p++;
        }
    }
    /* '/' is the hierarchy separator in both products: kept. An empty
     * component (a blank name) becomes one blank so the name stays usable. */
    if (out->len == 0)
        g_string_append_c(out, ' ');
    return g_string_free(out, FALSE);
}

struct Sims40NameSet {
    char *owner;
    GHashTable *given; /* UTF-8 name -> raw name (owned) */
};

Sims40NameSet *
sims40_name_set_new(void)
{
    Sims40NameSet *s = g_new0(Sims40NameSet, 1);
    s->given = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return s;
}

void
sims40_name_set_free(Sims40NameSet *s)
{
    if (s == NULL)
        return;
    g_free(s->owner);
    g_hash_table_unref(s->given);
    g_free(s);
}

char *
sims40_name_set_assign(Sims40NameSet *s, const char *owner, const char *raw, gboolean distinct,
                       GError **error)
{
    if (g_strcmp0(s->owner, owner) != 0) {
        g_free(s->owner);
        s->owner = g_strdup(owner);
        g_hash_table_remove_all(s->given);
    }
    char *name = sims40_fix_folder_name(raw, distinct);
    const char *prev = g_hash_table_lookup(s->given, name);
    if (prev && !distinct) {
        char *e1 = g_strescape(prev, ""), *e2 = g_strescape(raw, "");
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                    "user %s: folders \"%s\" and \"%s\" both become \"%s\" once the characters "
                    "not encoded in modified UTF-7 are blanked; restore with -n to keep them "
                    "apart",
                    owner, e1, e2, name);
        g_free(e1);
        g_free(e2);
        g_free(name);
        return NULL;
    }
    char *base = g_strdup(name);
    for (guint n = 2; prev; n++) {
        char *alt = g_strdup_printf("%s (%u)", base, n);
        prev = g_hash_table_lookup(s->given, alt);
        if (prev == NULL) {
            g_free(name);
            name = alt;
        } else {
            g_free(alt);
        }
    }
    g_free(base);
    g_hash_table_insert(s->given, g_strdup(name), g_strdup(raw));
    return name;
}

/* ---- restore ---- */

static void
stats_add(Sims40RestoreStats *to, const Sims40RestoreStats *from)
{
    to->folders += from->folders;
    to->messages += from->messages;
    to->bytes += from->bytes;
    to->failed += from->failed;
}

/* Counting wrapper around a folder's iterator. */
typedef struct {
    MsmMessageIter *inner;
    Sims40RestoreStats *stats;
} CountIter;

static gboolean
count_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    CountIter *c = data;
    if (!msm_message_iter_next(c->inner, msg_r, error))
        return FALSE;
    if (*msg_r) {
        c->stats->messages++;
        c->stats->bytes += (guint64)MAX((*msg_r)->size, 0);
    }
    return TRUE;
}

static void
count_free(gpointer data)
{
    CountIter *c = data;
    msm_message_iter_free(c->inner);
    g_free(c);
}

gboolean
sims40_restore_stream(int fd, const MsmCodec *codec, gpointer writer, GMutex *lock,
                      const Sims40RestoreOptions *opts, Sims40RestoreStats *stats, GError **error)
{
    Sims40BackupReader *r = sims40_backup_reader_new(fd);
    Sims40NameSet *names = sims40_name_set_new();
    Sims40RestoreStats mine = {0};
    gboolean ok = TRUE;
    for (;;) {
        MsmFolder *f = NULL;
        char *raw = NULL;
        if (!sims40_backup_reader_next(r, &f, &raw, error)) {
            ok = FALSE;
            break;
        }
        if (f == NULL)
            break;
        GError *err = NULL;
        const char *to =
            opts && opts->rename ? g_hash_table_lookup(opts->rename, f->owner->user) : NULL;
        char *old_user = g_strdup(f->owner->user);
        if (to) {
            /* the owner's own ACL entries follow it */
            for (guint i = 0; i < f->acl->len; i++) {
                MsmAce *a = f->acl->pdata[i];
                if (strcmp(a->identifier, old_user) == 0) {
                    g_free(a->identifier);
                    a->identifier = g_strdup(to);
                }
            }
            g_free(f->owner->user);
            f->owner->user = g_strdup(to);
        }
        char *name = NULL;
        if (msm_legacy_check_user(f->owner->user, &err))
            name = sims40_name_set_assign(names, f->owner->user, raw, opts && opts->distinct, &err);
        gboolean put_ok = FALSE;
        if (name) {
            g_free(f->name);
            f->name = name;
            for (guint i = 0; i < f->owner->subscriptions->len; i++) {
                char *fx = sims40_fix_folder_name(f->owner->subscriptions->pdata[i],
                                                  opts && opts->distinct);
                g_free(f->owner->subscriptions->pdata[i]);
                f->owner->subscriptions->pdata[i] = fx;
            }
            CountIter *ci = g_new0(CountIter, 1);
            ci->inner = f->messages;
            ci->stats = &mine;
            f->messages = msm_message_iter_new(count_next, ci, count_free);
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            MsmItem *item = msm_item_new(MSM_KIND_STORE, key, f);
            f = NULL;
            if (lock)
                g_mutex_lock(lock);
            put_ok = codec->writer_put(writer, item, &err);
            if (lock)
                g_mutex_unlock(lock);
            if (put_ok)
                mine.folders++;
            if (opts && opts->log && opts->verbose >= 1)
                fprintf(opts->log, "imsrestore: %s -> %s: %s%s\n", old_user, key,
                        put_ok ? "restored" : "FAILED: ", put_ok ? "" : err->message);
            msm_item_free(item);
            g_free(key);
        }
        if (!put_ok) {
            mine.failed++;
            if (opts && opts->log && (name == NULL || opts->verbose < 1))
                fprintf(opts->log, "imsrestore: user %s, folder \"%s\": %s\n", old_user, raw,
                        err ? err->message : "failed");
            if (!(opts && opts->continue_on_error)) {
                g_propagate_prefixed_error(error, err, "user %s, folder %s: ", old_user, raw);
                err = NULL;
                ok = FALSE;
            }
        }
        g_clear_error(&err);
        msm_folder_free(f);
        g_free(raw);
        g_free(old_user);
        if (!ok)
            break;
    }
    sims40_name_set_free(names);
    sims40_backup_reader_free(r);
    if (stats)
        stats_add(stats, &mine);
    return ok;
}

/* ---- batches ---- */

typedef struct {
    const char *source_root;
    GPtrArray *users; /* NULL = everyone */
    const MsmCodec *codec;
    gpointer writer;
    GMutex *lock;
    const Sims40RestoreOptions *opts;
    Sims40RestoreStats stats;
    GError *error;
    int pipe_w;
    GError *backup_error;
} Batch;

static gpointer
backup_thread(gpointer data)
{
    Batch *b = data;
    Sims40BackupOptions bo = {0};
    bo.log = b->opts ? b->opts->log : NULL;
    if (b->users)
        g_ptr_array_add(b->users, NULL);
    sims40_imbackup(b->source_root, b->users ? (const char *const *)b->users->pdata : NULL,
                    b->pipe_w, &bo, NULL, NULL, &b->backup_error);
    close(b->pipe_w);
    return NULL;
}

static void
batch_run(gpointer data, gpointer user_data)
{
    Batch *b = data;
    int fds[2];
    if (pipe(fds) != 0) {
        int e = errno;
        g_set_error(&b->error, MSM_ERROR, MSM_ERROR_IO, "pipe: %s", g_strerror(e));
        return;
    }
    b->pipe_w = fds[1];
    GThread *t = g_thread_new("imbackup", backup_thread, b);
    GError *err = NULL;
    sims40_restore_stream(fds[0], b->codec, b->writer, b->lock, b->opts, &b->stats, &err);
    /* Drain so the producer never blocks on a restore that stopped early. */
    char buf[4096];
    while (read(fds[0], buf, sizeof buf) > 0)
        ;
    close(fds[0]);
    g_thread_join(t);
    if (b->backup_error) {
        b->error = b->backup_error;
        b->backup_error = NULL;
        g_clear_error(&err);
    } else {
        b->error = err;
    }
}

gboolean
sims40_restore_batches(const char *source_root, const char *const *user_files, guint concurrency,
                       const MsmCodec *codec, gpointer writer, const Sims40RestoreOptions *opts,
                       Sims40RestoreStats *stats, GError **error)
{
    GPtrArray *batches = g_ptr_array_new();
    GMutex lock;
    g_mutex_init(&lock);
    gboolean threadsafe = (codec->flags & MSM_CODEC_THREADSAFE) != 0;
    gboolean ok = TRUE;
    guint nfiles = user_files ? g_strv_length((char **)user_files) : 0;
    for (guint i = 0; ok && i < MAX(nfiles, 1u); i++) {
        Batch *b = g_new0(Batch, 1);
        b->source_root = source_root;
        b->codec = codec;
        b->writer = writer;
        b->lock = threadsafe ? NULL : &lock;
        b->opts = opts;
        if (nfiles > 0) {
            b->users = sims40_users_file_load(user_files[i], error);
            ok = b->users != NULL;
        }
        g_ptr_array_add(batches, b);
    }
    if (ok) {
        GThreadPool *pool =
            g_thread_pool_new(batch_run, NULL, (gint)CLAMP(concurrency, 1u, 64u), FALSE, NULL);
        for (guint i = 0; i < batches->len; i++)
            g_thread_pool_push(pool, batches->pdata[i], NULL);
        g_thread_pool_free(pool, FALSE, TRUE);
    }
    for (guint i = 0; i < batches->len; i++) {
        Batch *b = batches->pdata[i];
        if (stats)
            stats_add(stats, &b->stats);
        if (b->error && ok) {
            g_propagate_prefixed_error(error, b->error,
                                       "batch %s: ", nfiles ? user_files[i] : "(all users)");
            b->error = NULL;
            ok = FALSE;
        }
        g_clear_error(&b->error);
        if (b->users)
            g_ptr_array_unref(b->users);
        g_free(b);
    }
    g_ptr_array_unref(batches);
    g_mutex_clear(&lock);
    return ok;
}

/* ---- the hop's store migrator ---- */

static GMutex mig_lock;
static GHashTable *mig_map; /* old -> new; empty table when no map is configured */

/* Loads the map of the run's options once. */
static gboolean
mig_load(MsmCtx *ctx, GError **error)
{
    gboolean ok = TRUE;
    g_mutex_lock(&mig_lock);
    if (mig_map == NULL) {
        GHashTable *m = NULL;
        const char *file = msm_ctx_option(ctx, "sims40", "rename_map");
        const char *ldif = msm_ctx_option(ctx, "sims40", "rename_ldif");
        ok = (file == NULL || sims40_rename_map_load(file, &m, error)) &&
             (ldif == NULL || sims40_rename_map_from_ldif(ldif, &m, error));
        if (ok)
            mig_map = m ? m : g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        else if (m)
            g_hash_table_unref(m);
    }
    g_mutex_unlock(&mig_lock);
    return ok;
}

static gboolean
mig_preflight(MsmCtx *ctx, GError **error)
{
    return mig_load(ctx, error);
}

static MsmResult
mig_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    if (!mig_load(ctx, error))
        return MSM_RESULT_STOP;
    MsmFolder *f = item->payload;
    g_mutex_lock(&mig_lock);
    const char *to = g_hash_table_lookup(mig_map, f->owner->user);
    char *newname = to ? g_strdup(to) : NULL;
    /* Every ACL entry naming a renamed user follows it, the owner's own and the
     * rights it was granted on other users' folders (a grant to the old name
     * would otherwise name nobody on the new server). */
    for (guint i = 0; f->acl && i < f->acl->len; i++) {
        MsmAce *a = f->acl->pdata[i];
        const char *ato = g_hash_table_lookup(mig_map, a->identifier);
        if (ato) {
            g_free(a->identifier);
            a->identifier = g_strdup(ato);
        }
    }
    g_mutex_unlock(&mig_lock);
    if (newname == NULL)
        return MSM_RESULT_CONTINUE;
    g_free(f->owner->user);
    f->owner->user = newname;
    g_free(item->key);
    item->key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
    return MSM_RESULT_CONTINUE;
}

static gboolean
mig_finish(MsmCtx *ctx, GError **error)
{
    g_mutex_lock(&mig_lock);
    if (mig_map)
        g_hash_table_unref(mig_map);
    mig_map = NULL;
    g_mutex_unlock(&mig_lock);
    return TRUE;
}

const MsmStoreMigrator sims40_store_40_52 = {
    .iface_version = MSM_STORE_IFACE_VERSION,
    .struct_size = sizeof(MsmStoreMigrator),
    .preflight = mig_preflight,
    .transform = mig_transform,
    .transform_message = NULL,
    .finish = mig_finish,
};
