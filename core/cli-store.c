/*
 * NAME
 *	cli-store.c - `msmigrate store export|import|verify|manifest`
 * SUMMARY
 *	msmigrate store export SRC --from VERSION --to-maildir DIR
 *	msmigrate store export --sample USERS [--seed S] --from VERSION --to-maildir DIR
 *	msmigrate store import MAILDIR --to VERSION TARGET
 *	msmigrate store verify A B [--a-version V] [--b-version V]
 *	msmigrate store manifest SRC --from VERSION | --sample USERS --from VERSION
 *	msmigrate store backup|restore|upgrade: dispatched to cli-store-legacy.c.
 *	Export and import copy a store folder by folder through the store codecs
 *	(the Maildir++ interchange of docs/formats/maildir.md on one side), with
 *	a pool of --threads writers when the target codec is thread-safe, and
 *	--dry-run reading everything and writing nothing. verify compares two
 *	stores through their codecs per folder (docs/store.md); manifest prints
 *	one JSON object per owner, folder and message (the Dovecot test's
 *	reference). --sample generates the store of `msmigrate sample` for a
 *	version in memory (core/sample-model.h) instead of reading one.
 * EXIT
 *	0 done, 1 failed, 2 done with entries skipped (export/import) or with
 *	differences (verify).
 * DIAGNOSTICS
 *	A folder a codec refuses (unsafe name, damaged index) is reported with
 *	its key and the reason, counted, and the copy goes on.
 */
#include "config.h"

#include "cli.h"
#include "ctxpriv.h"
#include "engine.h"
#include "json.h"
#include "sample-model.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- sources: a codec reader or the sample model ---- */

typedef struct {
    MsmCtx *ctx;
    const MsmCodec *codec;
    gpointer reader;
    MsmSampleModel *model;
    guint user;
    GPtrArray *folders;
    guint fpos;
} Source;

/* The version id the user typed: "maildir" or a canonical product id. */
static const char *
store_version(const char *text, const char *what)
{
    if (text == NULL) {
        fprintf(stderr, "msmigrate: store: %s is required\n", what);
        return NULL;
    }
    if (g_ascii_strcasecmp(text, "maildir") == 0)
        return "maildir";
    return cli_version(text, what);
}

static const MsmCodec *
store_codec(MsmRegistry *reg, const char *version, gboolean write, GError **error)
{
    const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_STORE, version);
    if (ref == NULL || (write ? ref->codec->writer_open == NULL : ref->codec->reader_open == NULL)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no store codec %s %s is loaded (see 'msmigrate plugins'; install the "
                    "plugin package of that version)",
                    write ? "writing" : "reading", version);
        return NULL;
    }
    return ref->codec;
}

static MsmCtx *
make_ctx(MsmRegistry *reg, const char *source, const char *target, const char *version,
         gboolean dry_run)
{
    MsmCtx *ctx = msm_ctx_new();
    ctx->source_root = g_strdup(source);
    ctx->target_root = g_strdup(target);
    ctx->run_from = g_strdup(version);
    ctx->run_to = g_strdup(version);
    ctx->registry = reg;
    ctx->dry_run = dry_run;
    ctx->quiet = TRUE;
    return ctx;
}

static gboolean
source_open(Source *s, MsmRegistry *reg, const char *root, const char *version, guint sample,
            guint64 seed, GError **error)
{
    memset(s, 0, sizeof *s);
    if (sample) {
        s->model = msm_sample_model_new(version, sample, seed, NULL, error);
        return s->model != NULL;
    }
    s->codec = store_codec(reg, version, FALSE, error);
    if (s->codec == NULL)
        return FALSE;
    s->ctx = make_ctx(reg, root, root, version, TRUE);
    if (strcmp(version, "maildir") != 0)
        s->ctx->source_layout = msm_layout_resolve(root, version, NULL, NULL);
    s->reader = s->codec->reader_open(s->ctx, root, version, error);
    return s->reader != NULL;
}

/* Next folder item (transfer full) or NULL at the end; FALSE on error. */
static gboolean
source_next(Source *s, MsmItem **item_r, GError **error)
{
    *item_r = NULL;
    if (s->model == NULL)
        return s->codec->reader_next(s->reader, item_r, error);
    for (;;) {
        if (s->folders && s->fpos < s->folders->len) {
            MsmFolder *f = s->folders->pdata[s->fpos];
            s->folders->pdata[s->fpos++] = NULL;
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            *item_r = msm_item_new(MSM_KIND_STORE, key, f);
            g_free(key);
            return TRUE;
        }
        g_clear_pointer(&s->folders, g_ptr_array_unref);
        if (s->user >= s->model->users->len)
            return TRUE;
        s->folders = msm_sample_model_folders(s->model, s->user++);
        s->fpos = 0;
    }
}

static void
source_close(Source *s)
{
    if (s->reader)
        s->codec->reader_close(s->reader);
    if (s->folders)
        g_ptr_array_unref(s->folders);
    if (s->model)
        msm_sample_model_free(s->model);
    if (s->ctx)
        msm_ctx_free(s->ctx);
    memset(s, 0, sizeof *s);
}

/* ---- copy ---- */

typedef struct {
    const MsmCodec *codec;
    gpointer writer;
    GMutex lock;
    GCond cond;
    guint pending;
    guint64 folders, skipped;
} Copy;

static void
copy_task(gpointer data, gpointer user_data)
{
    MsmItem *item = data;
    Copy *c = user_data;
    GError *err = NULL;
    gboolean ok = c->codec->writer_put(c->writer, item, &err);
    g_mutex_lock(&c->lock);
    if (ok)
        c->folders++;
    else {
        c->skipped++;
        fprintf(stderr, "msmigrate: store: %s: %s\n", item->key, err->message);
    }
    c->pending--;
    g_cond_signal(&c->cond);
    g_mutex_unlock(&c->lock);
    g_clear_error(&err);
    msm_item_free(item);
}

/* Drains one item without writing (dry run): every body is read. */
static gboolean
drain_item(MsmItem *item, GError **error)
{
    MsmFolder *f = item->payload;
    guint8 buf[65536];
    for (;;) {
        MsmMessage *m = NULL;
        if (!f->messages || !msm_message_iter_next(f->messages, &m, error))
            return f->messages == NULL;
        if (m == NULL)
            return TRUE;
        gssize n;
        while (m->body && (n = msm_body_read(m->body, buf, sizeof buf, error)) > 0)
            ;
        msm_message_free(m);
    }
}

/* Copies every folder of src into the store codec of version at target. */
static int
copy_store(MsmRegistry *reg, Source *src, const char *target, const char *version, gint threads,
           gboolean dry_run, gboolean json, gboolean quiet, const char *verb)
{
    GError *err = NULL;
    Copy c = {0};
    g_mutex_init(&c.lock);
    g_cond_init(&c.cond);
    MsmCtx *ctx = NULL;
    GThreadPool *pool = NULL;
    int rc = MSM_EXIT_FAILED;
    guint64 read_errors = 0;
    if (!dry_run) {
        c.codec = store_codec(reg, version, TRUE, &err);
        if (c.codec == NULL)
            goto out;
        ctx = make_ctx(reg, target, target, version, FALSE);
        if (strcmp(version, "maildir") != 0)
            ctx->target_layout = msm_layout_resolve(target, version, NULL, NULL);
        c.writer = c.codec->writer_open(ctx, target, version, &err);
        if (c.writer == NULL)
            goto out;
        if (threads <= 0)
            threads = (gint)g_get_num_processors();
        if ((c.codec->flags & MSM_CODEC_THREADSAFE) && threads > 1)
            pool = g_thread_pool_new(copy_task, &c, threads, TRUE, NULL);
    }
    for (;;) {
        MsmItem *item = NULL;
        if (!source_next(src, &item, &err)) {
            if (!msm_reader_error_is_per_entry(err))
                goto out;
            fprintf(stderr, "msmigrate: %s: %s\n", verb, err->message);
            g_clear_error(&err);
            read_errors++;
            continue;
        }
        if (item == NULL)
            break;
        if (dry_run) {
            if (!drain_item(item, &err)) {
                fprintf(stderr, "msmigrate: %s: %s: %s\n", verb, item->key, err->message);
                g_clear_error(&err);
                c.skipped++;
            } else {
                c.folders++;
            }
            msm_item_free(item);
            continue;
        }
        g_mutex_lock(&c.lock);
        while (pool && c.pending >= (guint)threads * 2)
            g_cond_wait(&c.cond, &c.lock);
        c.pending++;
        g_mutex_unlock(&c.lock);
        if (pool) {
            if (!g_thread_pool_push(pool, item, &err))
                goto out;
        } else {
            copy_task(item, &c);
        }
    }
    if (pool) {
        g_thread_pool_free(pool, FALSE, TRUE);
        pool = NULL;
    }
    if (!dry_run && !c.codec->writer_commit(c.writer, &err))
        goto out;
    rc = (c.skipped || read_errors) ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
    if (json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "target", target);
        msm_json_kv_string(j, "version", version);
        msm_json_kv_bool(j, "dry_run", dry_run);
        msm_json_kv_int(j, "folders", (gint64)c.folders);
        msm_json_kv_int(j, "skipped", (gint64)(c.skipped + read_errors));
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        fputs(out, stdout);
        g_free(out);
    } else if (!quiet) {
        printf("%s: %" G_GUINT64_FORMAT " folder(s) %s, %" G_GUINT64_FORMAT " skipped\n", verb,
               c.folders, dry_run ? "read (dry run)" : "written", c.skipped + read_errors);
    }
out:
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
    if (err) {
        cli_error(verb, err);
        g_error_free(err);
    }
    if (c.writer)
        c.codec->writer_close(c.writer);
    if (ctx)
        msm_ctx_free(ctx);
    g_mutex_clear(&c.lock);
    g_cond_clear(&c.cond);
    return rc;
}

/* `store export` and `store import`. */
static int
store_copy(int argc, char **argv, gboolean export)
{
    CliCommon common = {0};
    char *from = NULL, *to = NULL, *maildir = NULL;
    gint threads = 0, sample = 0;
    gint64 seed = 1;
    gboolean dry_run = FALSE;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    const char *verb = export ? "store export" : "store import";
    const GOptionEntry export_entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "The source store's version", "VERSION"},
        {"to-maildir", 0, 0, G_OPTION_ARG_FILENAME, &maildir,
         "The Maildir++ root to write (one Maildir per user)", "DIR"},
        {"sample", 0, 0, G_OPTION_ARG_INT, &sample,
         "Export the sample store of VERSION with USERS users instead of reading SRC",
         "USERS"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of --sample (default 1)", "S"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Writers (default: the core count)",
         "N"},
        {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, "Read everything, write nothing", NULL},
        G_OPTION_ENTRY_NULL,
    };
    const GOptionEntry import_entries[] = {
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "The target store's version", "VERSION"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &threads, "Writers (default: the core count)",
         "N"},
        {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, "Read everything, write nothing", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, verb, export ? "[SRC]" : "MAILDIR TARGET",
                   export ? "Copy a store into the Maildir++ interchange (docs/store.md)."
                          : "Copy a Maildir++ interchange tree into a version's store "
                            "(docs/store.md).",
                   export ? export_entries : import_entries, &common))
        goto out;
    Source src;
    memset(&src, 0, sizeof src);
    const char *sv, *tv, *sroot, *troot;
    if (export) {
        if (maildir == NULL || argc != (sample ? 1 : 2)) {
            fprintf(stderr, "msmigrate: store export: give SRC (or --sample USERS), --from "
                            "VERSION and --to-maildir DIR\n");
            goto out;
        }
        if ((sv = store_version(from, "store export --from")) == NULL)
            goto out;
        sroot = sample ? NULL : argv[1];
        tv = "maildir";
        troot = maildir;
    } else {
        if (argc != 3) {
            fprintf(stderr, "msmigrate: store import: give MAILDIR, --to VERSION and TARGET\n");
            goto out;
        }
        if ((tv = store_version(to, "store import --to")) == NULL)
            goto out;
        sv = "maildir";
        sroot = argv[1];
        troot = argv[2];
    }
    if (sample < 0) {
        fprintf(stderr, "msmigrate: store export: --sample needs a positive user count\n");
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL || !source_open(&src, reg, sroot, sv, (guint)sample, (guint64)seed, &err)) {
        cli_error(verb, err);
        source_close(&src);
        goto out;
    }
    rc = copy_store(reg, &src, troot, tv, threads, dry_run, common.json, common.quiet, verb);
    source_close(&src);
out:
    g_clear_error(&err);
    msm_registry_free(reg);
    g_free(from);
    g_free(to);
    g_free(maildir);
    cli_common_clear(&common);
    return rc;
}

/* ---- per-message records (manifest and verify) ---- */

/* Flag names in a stable order (\Recent is session state: left out). */
static void
flags_text(GString *out, guint32 flags)
{
    static const struct {
        guint32 f;
        const char *n;
    } names[] = {{MSM_FLAG_ANSWERED, "\\Answered"}, {MSM_FLAG_DELETED, "\\Deleted"},
                 {MSM_FLAG_DRAFT, "\\Draft"},       {MSM_FLAG_FLAGGED, "\\Flagged"},
                 {MSM_FLAG_SEEN, "\\Seen"}};
    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        if (flags & names[i].f)
            g_string_append_printf(out, "%s%s", out->len ? " " : "", names[i].n);
}

/* Keywords sorted and joined by spaces. (transfer full) */
static char *
keywords_text(const GPtrArray *kw)
{
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; kw && i < kw->len; i++)
        g_ptr_array_add(a, kw->pdata[i]);
    g_ptr_array_sort(a, msm_strcmp_ptr);
    GString *s = g_string_new("");
    for (guint i = 0; i < a->len; i++)
        if (i == 0 || strcmp(a->pdata[i], a->pdata[i - 1]) != 0)
            g_string_append_printf(s, "%s%s", s->len ? " " : "", (const char *)a->pdata[i]);
    g_ptr_array_unref(a);
    return g_string_free(s, FALSE);
}

/* Reads the body through SHA-256: hex digest (transfer full) and byte count.
 * With imap_r, also the digest and size of the form an IMAP server sends for
 * BODY[] (docs/store.md "manifest"): bare LF as CRLF, NUL as 0x80. */
static char *
body_digest(MsmMessage *m, gint64 *bytes_r, char **imap_r, gint64 *imap_bytes_r, GError **error)
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    GChecksum *ik = imap_r ? g_checksum_new(G_CHECKSUM_SHA256) : NULL;
    guint8 buf[65536];
    guint8 out[2 * sizeof buf];
    gint64 total = 0, itotal = 0;
    guint8 prev = 0;
    for (;;) {
        gssize n = m->body ? msm_body_read(m->body, buf, sizeof buf, error) : 0;
        if (n < 0) {
            g_checksum_free(ck);
            if (ik)
                g_checksum_free(ik);
            return NULL;
        }
        if (n == 0)
            break;
        g_checksum_update(ck, buf, n);
        total += n;
        if (ik) {
            gsize o = 0;
            for (gssize i = 0; i < n; i++) {
                if (buf[i] == '\n' && prev != '\r')
                    out[o++] = '\r';
                out[o++] = buf[i] == 0 ? 0x80 : buf[i];
                prev = buf[i];
            }
            g_checksum_update(ik, out, o);
            itotal += (gint64)o;
        }
    }
    char *hex = g_strdup(g_checksum_get_string(ck));
    g_checksum_free(ck);
    if (ik) {
        *imap_r = g_strdup(g_checksum_get_string(ik));
        *imap_bytes_r = itotal;
        g_checksum_free(ik);
    }
    *bytes_r = total;
    return hex;
}

/* One message as a tab-separated record: uid, flags, keywords, date, size, sha256.
 * (transfer full) */
static char *
message_record(MsmMessage *m, GError **error)
{
    gint64 bytes = 0;
    char *hex = body_digest(m, &bytes, NULL, NULL, error);
    if (hex == NULL)
        return NULL;
    GString *fl = g_string_new("");
    flags_text(fl, m->flags);
    char *kw = keywords_text(m->keywords);
    char *rec = g_strdup_printf("%u\t%s\t%s\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%s",
                                m->uid, fl->str, kw, m->internal_date, bytes, hex);
    g_string_free(fl, TRUE);
    g_free(kw);
    g_free(hex);
    return rec;
}

/* The owner's quota and subscriptions as one record. (transfer full) */
static char *
owner_record(const MsmOwner *o)
{
    GPtrArray *a = g_ptr_array_new();
    for (guint i = 0; o->subscriptions && i < o->subscriptions->len; i++)
        g_ptr_array_add(a, o->subscriptions->pdata[i]);
    g_ptr_array_sort(a, msm_strcmp_ptr);
    GString *s = g_string_new("");
    g_string_append_printf(s, "quota %" G_GINT64_FORMAT " bytes %" G_GINT64_FORMAT
                              " messages; subscriptions",
                           o->quota_bytes, o->quota_messages);
    for (guint i = 0; i < a->len; i++)
        g_string_append_printf(s, " [%s]", (const char *)a->pdata[i]);
    g_ptr_array_unref(a);
    return g_string_free(s, FALSE);
}

/* The ACL as one sorted record. (transfer full) */
static char *
acl_record(const MsmFolder *f)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; f->acl && i < f->acl->len; i++) {
        const MsmAce *e = f->acl->pdata[i];
        g_ptr_array_add(a, g_strdup_printf("%s=%s", e->identifier, e->rights));
    }
    g_ptr_array_sort(a, msm_strcmp_ptr);
    GString *s = g_string_new("");
    for (guint i = 0; i < a->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)a->pdata[i]);
    g_ptr_array_unref(a);
    return g_string_free(s, FALSE);
}

/* ---- manifest ---- */

static int
store_manifest(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL;
    gint sample = 0;
    gint64 seed = 1;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    Source src;
    memset(&src, 0, sizeof src);
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "The store's version", "VERSION"},
        {"sample", 0, 0, G_OPTION_ARG_INT, &sample,
         "The sample store of VERSION with USERS users instead of SRC", "USERS"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of --sample (default 1)", "S"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "store manifest", "[SRC]",
                   "Print one JSON object per line for every owner, folder and message of a "
                   "store (docs/store.md).",
                   entries, &common))
        goto out;
    const char *v = store_version(from, "store manifest --from");
    if (v == NULL || sample < 0 || argc != (sample ? 1 : 2)) {
        fprintf(stderr, "msmigrate: store manifest: give SRC or --sample USERS, and --from\n");
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL ||
        !source_open(&src, reg, sample ? NULL : argv[1], v, (guint)sample, (guint64)seed, &err))
        goto fail;
    char *last_user = NULL;
    guint64 bad = 0;
    for (;;) {
        MsmItem *item = NULL;
        if (!source_next(&src, &item, &err)) {
            if (!msm_reader_error_is_per_entry(err))
                break;
            fprintf(stderr, "msmigrate: store manifest: %s\n", err->message);
            g_clear_error(&err);
            bad++;
            continue;
        }
        if (item == NULL)
            break;
        MsmFolder *f = item->payload;
        if (last_user == NULL || strcmp(last_user, f->owner->user) != 0) {
            g_free(last_user);
            last_user = g_strdup(f->owner->user);
            MsmJson *j = msm_json_new(FALSE);
            msm_json_begin_object(j);
            msm_json_kv_string(j, "type", "owner");
            msm_json_kv_string(j, "owner", f->owner->user);
            msm_json_kv_int(j, "quota_bytes", f->owner->quota_bytes);
            msm_json_kv_int(j, "quota_messages", f->owner->quota_messages);
            msm_json_key(j, "subscriptions");
            msm_json_begin_array(j);
            for (guint i = 0; f->owner->subscriptions && i < f->owner->subscriptions->len; i++)
                msm_json_string(j, f->owner->subscriptions->pdata[i]);
            msm_json_end_array(j);
            msm_json_end_object(j);
            char *out = msm_json_finish(j);
            printf("%s\n", out);
            g_free(out);
        }
        MsmJson *j = msm_json_new(FALSE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "type", "folder");
        msm_json_kv_string(j, "owner", f->owner->user);
        msm_json_kv_string(j, "folder", f->name);
        msm_json_kv_int(j, "uidvalidity", f->uidvalidity);
        msm_json_kv_int(j, "uidnext", f->uidnext);
        char *acl = acl_record(f);
        msm_json_kv_string(j, "acl", acl);
        g_free(acl);
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        printf("%s\n", out);
        g_free(out);
        for (;;) {
            MsmMessage *m = NULL;
            if (!f->messages || !msm_message_iter_next(f->messages, &m, &err) || m == NULL)
                break;
            gint64 bytes = 0, ibytes = 0;
            char *ihex = NULL;
            char *hex = body_digest(m, &bytes, &ihex, &ibytes, &err);
            if (hex == NULL) {
                msm_message_free(m);
                break;
            }
            j = msm_json_new(FALSE);
            msm_json_begin_object(j);
            msm_json_kv_string(j, "type", "message");
            msm_json_kv_string(j, "owner", f->owner->user);
            msm_json_kv_string(j, "folder", f->name);
            msm_json_kv_int(j, "uid", m->uid);
            msm_json_key(j, "flags");
            msm_json_begin_array(j);
            GString *fl = g_string_new("");
            flags_text(fl, m->flags);
            char **fv = g_strsplit(fl->str, " ", -1);
            for (guint i = 0; fv[i]; i++)
                if (fv[i][0])
                    msm_json_string(j, fv[i]);
            g_strfreev(fv);
            g_string_free(fl, TRUE);
            msm_json_end_array(j);
            msm_json_key(j, "keywords");
            msm_json_begin_array(j);
            char *kw = keywords_text(m->keywords); /* sorted: keyword order means nothing */
            char **kv = g_strsplit(kw, " ", -1);
            for (guint i = 0; kv[i]; i++)
                if (kv[i][0])
                    msm_json_string(j, kv[i]);
            g_strfreev(kv);
            g_free(kw);
            msm_json_end_array(j);
            msm_json_kv_int(j, "internaldate", m->internal_date);
            msm_json_kv_int(j, "size", bytes);
            msm_json_kv_string(j, "sha256", hex);
            msm_json_kv_int(j, "imap_size", ibytes);
            msm_json_kv_string(j, "imap_sha256", ihex);
            msm_json_end_object(j);
            out = msm_json_finish(j);
            printf("%s\n", out);
            g_free(out);
            g_free(hex);
            g_free(ihex);
            msm_message_free(m);
        }
        msm_item_free(item);
        if (err) {
            fprintf(stderr, "msmigrate: store manifest: %s\n", err->message);
            g_clear_error(&err);
            bad++;
        }
    }
    g_free(last_user);
    if (err == NULL)
        rc = bad ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
fail:
    if (err)
        cli_error("store manifest", err);
out:
    source_close(&src);
    g_clear_error(&err);
    msm_registry_free(reg);
    g_free(from);
    cli_common_clear(&common);
    return rc;
}

/* ---- verify ---- */

typedef struct {
    GPtrArray *diffs; /* char* (first 10000) */
    guint64 ndiff;
    gboolean json;
} Diffs;

static void G_GNUC_PRINTF(2, 3)
diff_add(Diffs *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    d->ndiff++;
    if (!d->json)
        printf("%s\n", s);
    if (d->diffs->len < 10000)
        g_ptr_array_add(d->diffs, s);
    else
        g_free(s);
}

static const char *const field_names[] = {"uid", "flags", "keywords", "internal date", "size",
                                          "body digest"};

/* Compares two message records field by field. */
static void
compare_records(Diffs *d, const char *key, guint idx, const char *a, const char *b)
{
    char **fa = g_strsplit(a, "\t", -1), **fb = g_strsplit(b, "\t", -1);
    for (guint i = 0; i < G_N_ELEMENTS(field_names) && fa[i] && fb[i]; i++)
        if (strcmp(fa[i], fb[i]) != 0)
            diff_add(d, "%s: message %u (uid %s): %s differs: A \"%s\", B \"%s\"", key, idx + 1,
                     fa[0], field_names[i], fa[i], fb[i]);
    g_strfreev(fa);
    g_strfreev(fb);
}

/* Reads one line from f into s without the newline; FALSE at EOF. */
static gboolean
read_line(FILE *f, GString *s)
{
    g_string_truncate(s, 0);
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n')
        g_string_append_c(s, (char)c);
    return c != EOF || s->len > 0;
}

typedef struct {
    long offset;     /* of the folder header line in the spool */
    gboolean seen;   /* found in B */
} SpoolEntry;

static int
store_verify(int argc, char **argv)
{
    CliCommon common = {0};
    char *av = NULL, *bv = NULL, *tmpdir = NULL;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    Source sa, sb;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    FILE *spool = NULL;
    char *spool_path = NULL;
    GHashTable *index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTable *owners_a = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTable *owners_done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    Diffs d = {g_ptr_array_new_with_free_func(g_free), 0, FALSE};
    guint64 folders = 0, messages = 0, skipped = 0;
    const GOptionEntry entries[] = {
        {"a-version", 0, 0, G_OPTION_ARG_STRING, &av, "Version of store A (default maildir)",
         "VERSION"},
        {"b-version", 0, 0, G_OPTION_ARG_STRING, &bv, "Version of store B (default maildir)",
         "VERSION"},
        {"tmpdir", 0, 0, G_OPTION_ARG_FILENAME, &tmpdir,
         "Directory for the spool of A's records (default: $TMPDIR)", "DIR"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "store verify", "A B",
                   "Compare two stores through their codecs, folder by folder; exit 2 when "
                   "they differ (docs/store.md).",
                   entries, &common))
        goto out;
    d.json = common.json;
    const char *va = store_version(av ? av : "maildir", "store verify --a-version");
    const char *vb = store_version(bv ? bv : "maildir", "store verify --b-version");
    if (va == NULL || vb == NULL || argc != 3) {
        fprintf(stderr, "msmigrate: store verify: give two stores A and B\n");
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL)
        goto fail;
    /* pass 1: A's records into a spool file (memory: one entry per folder) */
    spool_path = g_build_filename(tmpdir ? tmpdir : g_get_tmp_dir(), "msmigrate-verify-XXXXXX",
                                  NULL);
    int fd = g_mkstemp(spool_path);
    if (fd < 0 || (spool = fdopen(fd, "w+")) == NULL) {
        g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "spool %s: %s", spool_path,
                    g_strerror(errno));
        goto fail;
    }
    unlink(spool_path);
    if (!source_open(&sa, reg, argv[1], va, 0, 0, &err))
        goto fail;
    for (;;) {
        MsmItem *item = NULL;
        if (!source_next(&sa, &item, &err)) {
            if (!msm_reader_error_is_per_entry(err))
                goto fail;
            diff_add(&d, "A: %s", err->message);
            g_clear_error(&err);
            skipped++;
            continue;
        }
        if (item == NULL)
            break;
        MsmFolder *f = item->payload;
        if (!g_hash_table_contains(owners_a, f->owner->user))
            g_hash_table_insert(owners_a, g_strdup(f->owner->user), owner_record(f->owner));
        SpoolEntry *e = g_new0(SpoolEntry, 1);
        e->offset = ftell(spool);
        g_hash_table_replace(index, g_strdup(item->key), e);
        char *acl = acl_record(f);
        fprintf(spool, "F\t%u\t%s\n", f->uidvalidity, acl);
        g_free(acl);
        for (;;) {
            MsmMessage *m = NULL;
            if (!f->messages || !msm_message_iter_next(f->messages, &m, &err) || m == NULL)
                break;
            char *rec = message_record(m, &err);
            msm_message_free(m);
            if (rec == NULL)
                break;
            fprintf(spool, "M\t%s\n", rec);
            g_free(rec);
        }
        fputs("E\n", spool);
        if (err) {
            diff_add(&d, "A: %s: %s", item->key, err->message);
            g_clear_error(&err);
            skipped++;
        }
        msm_item_free(item);
    }
    source_close(&sa);
    fflush(spool);
    /* pass 2: B folder by folder against A's spool */
    if (!source_open(&sb, reg, argv[2], vb, 0, 0, &err))
        goto fail;
    GString *line = g_string_new("");
    for (;;) {
        MsmItem *item = NULL;
        if (!source_next(&sb, &item, &err)) {
            if (!msm_reader_error_is_per_entry(err)) {
                g_string_free(line, TRUE);
                goto fail;
            }
            diff_add(&d, "B: %s", err->message);
            g_clear_error(&err);
            skipped++;
            continue;
        }
        if (item == NULL)
            break;
        MsmFolder *f = item->payload;
        folders++;
        if (!g_hash_table_contains(owners_done, f->owner->user)) {
            g_hash_table_add(owners_done, g_strdup(f->owner->user));
            const char *ra = g_hash_table_lookup(owners_a, f->owner->user);
            char *rb = owner_record(f->owner);
            if (ra == NULL)
                diff_add(&d, "user/%s: only in B", f->owner->user);
            else if (strcmp(ra, rb) != 0)
                diff_add(&d, "user/%s: owner differs: A \"%s\", B \"%s\"", f->owner->user, ra,
                         rb);
            g_free(rb);
        }
        SpoolEntry *e = g_hash_table_lookup(index, item->key);
        if (e == NULL) {
            diff_add(&d, "%s: folder only in B", item->key);
            msm_item_free(item);
            continue;
        }
        e->seen = TRUE;
        fseek(spool, e->offset, SEEK_SET);
        read_line(spool, line);
        char **hdr = g_strsplit(line->str, "\t", 3);
        char *acl = acl_record(f);
        if (hdr[1] && strtoul(hdr[1], NULL, 10) != f->uidvalidity)
            diff_add(&d, "%s: UIDVALIDITY differs: A %s, B %u", item->key, hdr[1],
                     f->uidvalidity);
        if (hdr[1] && hdr[2] && strcmp(hdr[2], acl) != 0)
            diff_add(&d, "%s: ACL differs: A \"%s\", B \"%s\"", item->key, hdr[2], acl);
        g_free(acl);
        g_strfreev(hdr);
        guint idx = 0;
        gboolean a_more = read_line(spool, line) && line->str[0] == 'M';
        for (;;) {
            MsmMessage *m = NULL;
            if (!f->messages || !msm_message_iter_next(f->messages, &m, &err) || m == NULL)
                break;
            char *rec = message_record(m, &err);
            msm_message_free(m);
            if (rec == NULL)
                break;
            messages++;
            if (!a_more)
                diff_add(&d, "%s: message %u (uid %s) only in B", item->key, idx + 1, rec);
            else
                compare_records(&d, item->key, idx, line->str + 2, rec);
            g_free(rec);
            idx++;
            if (a_more)
                a_more = read_line(spool, line) && line->str[0] == 'M';
        }
        while (a_more) {
            char **fa = g_strsplit(line->str + 2, "\t", 2);
            diff_add(&d, "%s: message %u (uid %s) only in A", item->key, ++idx, fa[0]);
            g_strfreev(fa);
            a_more = read_line(spool, line) && line->str[0] == 'M';
        }
        if (err) {
            diff_add(&d, "B: %s: %s", item->key, err->message);
            g_clear_error(&err);
            skipped++;
        }
        msm_item_free(item);
        fseek(spool, 0, SEEK_END);
    }
    g_string_free(line, TRUE);
    /* folders of A that B lacks, in a stable order */
    GPtrArray *keys = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, index);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (!((SpoolEntry *)v)->seen)
            g_ptr_array_add(keys, k);
    g_ptr_array_sort(keys, msm_strcmp_ptr);
    for (guint i = 0; i < keys->len; i++)
        diff_add(&d, "%s: folder only in A", (const char *)keys->pdata[i]);
    g_ptr_array_unref(keys);
    /* owners of A of whom B has no folder at all (their quota and subscriptions too) */
    keys = g_ptr_array_new();
    g_hash_table_iter_init(&it, owners_a);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (!g_hash_table_contains(owners_done, k))
            g_ptr_array_add(keys, k);
    g_ptr_array_sort(keys, msm_strcmp_ptr);
    for (guint i = 0; i < keys->len; i++)
        diff_add(&d, "user/%s: only in A", (const char *)keys->pdata[i]);
    g_ptr_array_unref(keys);
    if (common.json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "a", argv[1]);
        msm_json_kv_string(j, "b", argv[2]);
        msm_json_kv_int(j, "folders", (gint64)folders);
        msm_json_kv_int(j, "messages", (gint64)messages);
        msm_json_kv_int(j, "differences", (gint64)d.ndiff);
        msm_json_key(j, "details");
        msm_json_begin_array(j);
        for (guint i = 0; i < d.diffs->len; i++)
            msm_json_string(j, d.diffs->pdata[i]);
        msm_json_end_array(j);
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        fputs(out, stdout);
        g_free(out);
    } else {
        printf("store verify: %" G_GUINT64_FORMAT " folder(s), %" G_GUINT64_FORMAT
               " message(s) compared, %" G_GUINT64_FORMAT " difference(s)\n",
               folders, messages, d.ndiff);
    }
    rc = (d.ndiff || skipped) ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
fail:
    if (err)
        cli_error("store verify", err);
out:
    source_close(&sa);
    source_close(&sb);
    if (spool)
        fclose(spool);
    g_free(spool_path);
    g_hash_table_unref(index);
    g_hash_table_unref(owners_a);
    g_hash_table_unref(owners_done);
    g_ptr_array_unref(d.diffs);
    g_clear_error(&err);
    msm_registry_free(reg);
    g_free(av);
    g_free(bv);
    g_free(tmpdir);
    cli_common_clear(&common);
    return rc;
}

int
cli_store(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "export") == 0)
        return store_copy(argc - 1, argv + 1, TRUE);
    if (argc >= 2 && strcmp(argv[1], "import") == 0)
        return store_copy(argc - 1, argv + 1, FALSE);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return store_verify(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "manifest") == 0)
        return store_manifest(argc - 1, argv + 1);
    /* the SIMS / NMS tools (cli-store-legacy.c) */
    if (argc >= 2 && strcmp(argv[1], "backup") == 0)
        return cli_store_backup(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "restore") == 0)
        return cli_store_restore(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "upgrade") == 0)
        return cli_store_upgrade(argc - 1, argv + 1);
    fprintf(stderr,
            "Usage: msmigrate store export SRC --from VERSION --to-maildir DIR\n"
            "       msmigrate store export --sample USERS --from VERSION --to-maildir DIR\n"
            "       msmigrate store import MAILDIR --to VERSION TARGET\n"
            "       msmigrate store verify A B [--a-version V] [--b-version V] [--json]\n"
            "       msmigrate store manifest SRC --from VERSION | --sample USERS --from VERSION\n"
            "       msmigrate store backup|restore|upgrade ...  (SIMS imbackup/imsrestore, NMS "
            "3.x upgrade; see --help of each)\n"
            "  (--threads N, --dry-run on export and import; VERSION 'maildir' is the "
            "Maildir++ interchange)\n");
    return (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
               ? MSM_EXIT_OK
               : MSM_EXIT_FAILED;
}
