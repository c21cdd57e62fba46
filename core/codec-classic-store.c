/*
 * NAME
 *	codec-classic-store.c - the classic message store (iMS 5.2 ... MS 8.1)
 * SUMMARY
 *	Implements msm_core_classic_store_codec() (builtin.h) and the helpers
 *	of codec-classic-store.h with the rules of docs/formats/store-classic.md:
 *	the mboxlist Berkeley DB files (folder.db, quota.db, peruser.db,
 *	subscr.db, lright.db) and the partitions
 *	partition/<nickname>/=user/<h1>/<h2>/=<userid>/ with nested folder
 *	directories, a store.idx per folder and one <uid>.msg file per message.
 *	Three generations: G1 (ims-5.2 .. ms-7.0), G2 (ms-7.0.5, ms-8.0: new
 *	database records, UTF-8 keys and a version record) and G3 (ms-8.0.1 ..
 *	ms-8.1: store.idx format 2 with a modseq and a message GUID).
 * DESCRIPTION
 *	The reader walks folder.db with one cursor in key order and yields one
 *	folder at a time; its messages stream from store.idx record by record,
 *	bodies through msm_body_new_file(). The source is opened read-only
 *	without a Berkeley DB environment (nothing is written to it).
 *
 *	The writer opens a transactional environment in mboxlist/ (recovered
 *	on open, so a killed run resumes on consistent databases). Folder
 *	files are written by each put in parallel (MSM_CODEC_THREADSAFE); the
 *	database updates of one put are one transaction taken under the
 *	writer's mutex. A put replaces the folder: its old files go to the
 *	run's work directory (or are deleted when this run wrote them), the
 *	messages are written, store.idx is written to a temporary and renamed,
 *	then the records are replaced. writer_commit() flushes the log,
 *	checkpoints and syncs the file system. rollback() restores what the
 *	undo records in <work dir>/classic-store/ name.
 *
 *	Partitions listed in store_root/partitions.conf live in the directory
 *	named there (reader and writer). A run from NMS 4.x asking for in-place
 *	reuse ([store] nms4-reuse = in-place, legacy-store.h) points them at the
 *	4.x partitions (adopt_setup) and adopts each 4.x message file by hard
 *	link instead of copying it (adopt_body), refusing folders whose
 *	directory would meet a 4.x message directory (adopt_check). Every run
 *	from NMS 4.x (copy or in-place) recomputes each owner's used bytes
 *	(recompute_used, the seed's reconstruct -q).
 *	docs/formats/store-nms4.md "In-place reuse".
 * DIAGNOSTICS
 *	MSM_ERROR_UNSAFE: an owner, folder or partition name that cannot be one
 *	safe path (separators, "..", control characters, overlong, invalid
 *	modified UTF-7 in a G1 database), a symbolic link anywhere in a user's
 *	directories. MSM_ERROR_PARSE: a damaged record or store.idx (named with
 *	the key or path and the byte offset), a store of another generation
 *	(named, with the versions that write it). MSM_ERROR_INVALID_ARGUMENT:
 *	an item the generation cannot hold (too many keywords, UIDs not
 *	increasing, a body whose size differs from the message's). MSM_ERROR_IO
 *	and MSM_ERROR_FAILED: what the system or Berkeley DB refused.
 */
#include "config.h"

#include "builtin.h"
#include "codec-classic-store.h"

#include "ctxpriv.h"
#include "legacy-store.h"
#include "mutf7.h"
#include "util.h"

#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const classic_versions[] = {
    "ims-5.2", "ms-6.0",   "ms-6.1", "ms-6.2",   "ms-6.2p3", "ms-6.3",
    "ms-7.0",  "ms-7.0.5", "ms-8.0", "ms-8.0.1", "ms-8.0.2", "ms-8.1", NULL,
};

#define IDX_MAGIC "MSIX"
#define IDX_HEADER 44
#define IDX_REC_V1 28
#define IDX_REC_V2 56
#define VERSION_KEY "\001version"
#define MAX_NAME 1024
#define MAX_COMPONENT 255
#define UNDO_DIR "classic-store"
#define RO_CACHE (256 * 1024)  /* cache of each database the reader opens (4 pages of 64 KiB) */
#define ENV_CACHE (256 * 1024) /* cache of the writer's environment */

static const char *const gen_names[] = {
    "", "ims-5.2 .. ms-7.0 (generation 1)", "ms-7.0.5 or ms-8.0 (generation 2)",
    "ms-8.0.1 .. ms-8.1 (generation 3)",
};

int
msm_classic_store_generation(const char *version)
{
    static const char *const g2[] = {"ms-7.0.5", "ms-8.0", NULL};
    static const char *const g3[] = {"ms-8.0.1", "ms-8.0.2", "ms-8.1", NULL};
    if (version == NULL)
        return 0;
    for (int i = 0; g2[i]; i++)
        if (strcmp(version, g2[i]) == 0)
            return 2;
    for (int i = 0; g3[i]; i++)
        if (strcmp(version, g3[i]) == 0)
            return 3;
    for (int i = 0; classic_versions[i]; i++)
        if (strcmp(version, classic_versions[i]) == 0)
            return 1;
    return 0;
}

/* ---- byte order helpers ---- */

static void
put_be32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24), p[1] = (guint8)(v >> 16), p[2] = (guint8)(v >> 8), p[3] = (guint8)v;
}
static void
put_be64(guint8 *p, guint64 v)
{
    put_be32(p, (guint32)(v >> 32));
    put_be32(p + 4, (guint32)v);
}
static guint32
get_be32(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}
static guint64
get_be64(const guint8 *p)
{
    return ((guint64)get_be32(p) << 32) | get_be32(p + 4);
}
static void
put_le32(guint8 *p, guint32 v)
{
    p[0] = (guint8)v, p[1] = (guint8)(v >> 8), p[2] = (guint8)(v >> 16), p[3] = (guint8)(v >> 24);
}
static guint32
get_le32(const guint8 *p)
{
    return ((guint32)p[3] << 24) | ((guint32)p[2] << 16) | ((guint32)p[1] << 8) | p[0];
}
/* Appends an integer of n bytes in the generation's byte order. */
static void
buf_int(GByteArray *b, int gen, guint64 v, int n)
{
    guint8 t[8];
    for (int i = 0; i < n; i++)
        t[i] = gen == 1 ? (guint8)(v >> (8 * (n - 1 - i))) : (guint8)(v >> (8 * i));
    g_byte_array_append(b, t, (guint)n);
}

/* A bounded reader over a record. */
typedef struct {
    const guint8 *p;
    gsize len, off;
    int gen;
    gboolean bad;
} Cur;

static guint64
cur_int(Cur *c, int n)
{
    if (c->bad || c->off + (gsize)n > c->len) {
        c->bad = TRUE;
        return 0;
    }
    guint64 v = 0;
    for (int i = 0; i < n; i++) {
        guint64 b = c->p[c->off + (gsize)i];
        v |= c->gen == 1 ? b << (8 * (n - 1 - i)) : b << (8 * i);
    }
    c->off += (gsize)n;
    return v;
}

static char *
cur_str(Cur *c, gsize n)
{
    if (c->bad || c->off + n > c->len || memchr(c->p + c->off, 0, n) != NULL) {
        c->bad = TRUE;
        return NULL;
    }
    char *s = g_strndup((const char *)c->p + c->off, n);
    c->off += n;
    return s;
}

/* ---- names ---- */

char *
msm_classic_store_hash_dir(const char *user)
{
    guint32 h = 2166136261u;
    for (const guchar *p = (const guchar *)user; *p; p++)
        h = (h ^ *p) * 16777619u;
    return g_strdup_printf("%02x/%02x", h & 0xffu, (h >> 8) & 0xffu);
}

/* TRUE if user is a safe store owner name (see the format page). */
static gboolean
owner_is_safe(const char *user)
{
    gsize n = user ? strlen(user) : 0;
    if (n == 0 || n > MAX_COMPONENT || !g_utf8_validate(user, -1, NULL) || user[0] == '.')
        return FALSE;
    for (const guchar *p = (const guchar *)user; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return FALSE;
    return TRUE;
}

/* TRUE if a partition nickname is [A-Za-z0-9_-]{1,64}. */
static gboolean
partition_is_safe(const char *p)
{
    gsize n = p ? strlen(p) : 0;
    if (n == 0 || n > 64)
        return FALSE;
    for (; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
            return FALSE;
    return TRUE;
}

/* Checks a UTF-8 folder name; FALSE + MSM_ERROR_UNSAFE naming the rule. */
static gboolean
check_folder_name(const char *name, GError **error)
{
    const char *why = NULL;
    if (name == NULL || name[0] == '\0')
        why = "it is empty";
    else if (strlen(name) > MAX_NAME)
        why = "it is longer than 1024 bytes";
    else if (!g_utf8_validate(name, -1, NULL))
        why = "it is not valid UTF-8";
    else {
        char **parts = g_strsplit(name, "/", -1);
        for (int i = 0; parts[i] && why == NULL; i++) {
            if (parts[i][0] == '\0')
                why = "it has an empty component (a leading, trailing or double '/')";
            else if (strcmp(parts[i], ".") == 0 || strcmp(parts[i], "..") == 0)
                why = "it has a \".\" or \"..\" component";
        }
        g_strfreev(parts);
    }
    if (why) {
        char *shown = name ? g_strescape(name, NULL) : g_strdup("(null)");
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing folder name \"%s\": %s; rename the folder in the source", shown, why);
        g_free(shown);
        return FALSE;
    }
    return TRUE;
}

char *
msm_classic_store_folder_relpath(const char *name, GError **error)
{
    if (!check_folder_name(name, error))
        return NULL;
    if (strcmp(name, "INBOX") == 0)
        return g_strdup("");
    GString *out = g_string_new(NULL);
    char **parts = g_strsplit(name, "/", -1);
    gboolean ok = TRUE;
    for (int i = 0; ok && parts[i]; i++) {
        char *enc = msm_mutf7_encode(parts[i], error);
        if (enc == NULL) {
            ok = FALSE;
            break;
        }
        gsize start = out->len;
        if (i > 0)
            g_string_append_c(out, '/');
        for (const char *p = enc; *p; p++) {
            if (*p == '%')
                g_string_append(out, "%25");
            else if (*p == '.')
                g_string_append(out, "%2E");
            else
                g_string_append_c(out, *p);
        }
        if (out->len - start - (i > 0) > MAX_COMPONENT) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "refusing folder name \"%s\": component %d is longer than %d bytes once "
                        "encoded; rename the folder in the source",
                        name, i + 1, MAX_COMPONENT);
            ok = FALSE;
        }
        g_free(enc);
    }
    g_strfreev(parts);
    if (!ok) {
        if (error && *error && (*error)->code != MSM_ERROR_UNSAFE)
            (*error)->code = MSM_ERROR_UNSAFE;
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* The folder.db key of owner/folder in generation gen. (transfer full) */
static GByteArray *
folder_key(int gen, const char *owner, const char *folder, GError **error)
{
    GByteArray *k = g_byte_array_new();
    if (gen == 1) {
        char *enc = msm_mutf7_encode(folder, error);
        if (enc == NULL) {
            g_byte_array_unref(k);
            return NULL;
        }
        g_byte_array_append(k, (const guint8 *)"user/", 5);
        g_byte_array_append(k, (const guint8 *)owner, (guint)strlen(owner));
        g_byte_array_append(k, (const guint8 *)"/", 1);
        g_byte_array_append(k, (const guint8 *)enc, (guint)strlen(enc));
        g_free(enc);
    } else {
        g_byte_array_append(k, (const guint8 *)owner, (guint)strlen(owner) + 1); /* with NUL */
        g_byte_array_append(k, (const guint8 *)folder, (guint)strlen(folder));
    }
    return k;
}

/* Splits a folder.db key into owner and UTF-8 folder name; MSM_ERROR_UNSAFE or PARSE. */
static gboolean
parse_folder_key(int gen, const guint8 *k, gsize len, char **owner_r, char **folder_r,
                 GError **error)
{
    char *owner = NULL, *folder = NULL;
    char *raw = g_strndup((const char *)k, len);
    char *shown = g_strescape(raw, NULL);
    g_free(raw);
    if (gen == 1) {
        const char *s = (const char *)k;
        const char *slash = len > 5 ? memchr(s + 5, '/', len - 5) : NULL;
        if (len <= 5 || memcmp(s, "user/", 5) != 0 || slash == NULL ||
            memchr(k, 0, len) != NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "folder.db key \"%s\" is not \"user/<owner>/<folder>\"", shown);
            goto fail;
        }
        owner = g_strndup(s + 5, (gsize)(slash - s - 5));
        char *enc = g_strndup(slash + 1, len - (gsize)(slash + 1 - s));
        GError *e = NULL;
        folder = msm_mutf7_decode(enc, &e);
        g_free(enc);
        if (folder == NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "folder.db key \"%s\": the folder name is not valid modified UTF-7 (%s); "
                        "skipped, rename it with mboxutil -r",
                        shown, e->message);
            g_error_free(e);
            goto fail;
        }
    } else {
        const guint8 *nul = memchr(k, 0, len);
        if (nul == NULL || memchr(nul + 1, 0, len - (gsize)(nul + 1 - k)) != NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "folder.db key \"%s\" is not \"<owner>NUL<folder>\"", shown);
            goto fail;
        }
        owner = g_strndup((const char *)k, (gsize)(nul - k));
        folder = g_strndup((const char *)nul + 1, len - (gsize)(nul + 1 - k));
    }
    if (!owner_is_safe(owner)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "folder.db key \"%s\": the owner name is not one safe directory name; skipped",
                    shown);
        goto fail;
    }
    if (!check_folder_name(folder, error)) {
        g_prefix_error(error, "folder.db key \"%s\": ", shown);
        goto fail;
    }
    g_free(shown);
    *owner_r = owner;
    *folder_r = folder;
    return TRUE;
fail:
    g_free(shown);
    g_free(owner);
    g_free(folder);
    return FALSE;
}

/* ---- folder.db records ---- */

typedef struct {
    char *partition;
    guint32 uidvalidity, uidnext, count;
    guint64 bytes;
    GPtrArray *acl; /* MsmAce* */
} FolderRec;

static void
folder_rec_clear(FolderRec *r)
{
    g_free(r->partition);
    if (r->acl)
        g_ptr_array_unref(r->acl);
    memset(r, 0, sizeof *r);
}

static gboolean
rights_ok(const char *r)
{
    if (r == NULL || strlen(r) > 32)
        return FALSE;
    for (; *r; r++)
        if (!g_ascii_isalnum(*r))
            return FALSE;
    return TRUE;
}

static gboolean
ident_ok(const char *id)
{
    gsize n = id ? strlen(id) : 0;
    if (n == 0 || n > MAX_COMPONENT || !g_utf8_validate(id, -1, NULL))
        return FALSE;
    for (const guchar *p = (const guchar *)id; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return FALSE;
    return TRUE;
}

static GByteArray *
folder_rec_encode(int gen, const FolderRec *r)
{
    GByteArray *b = g_byte_array_new();
    gsize pl = strlen(r->partition);
    if (gen == 1) {
        buf_int(b, gen, pl, 2);
    } else {
        buf_int(b, gen, 2, 1);
        buf_int(b, gen, pl, 1);
    }
    g_byte_array_append(b, (const guint8 *)r->partition, (guint)pl);
    buf_int(b, gen, r->uidvalidity, 4);
    buf_int(b, gen, r->uidnext, 4);
    buf_int(b, gen, r->count, 4);
    buf_int(b, gen, r->bytes, 8);
    if (gen == 1) {
        GString *t = g_string_new(NULL);
        for (guint i = 0; i < r->acl->len; i++) {
            MsmAce *a = r->acl->pdata[i];
            g_string_append_printf(t, "%s\t%s\t", a->identifier, a->rights);
        }
        buf_int(b, gen, t->len, 4);
        g_byte_array_append(b, (const guint8 *)t->str, (guint)t->len);
        g_string_free(t, TRUE);
    } else {
        buf_int(b, gen, r->acl->len, 2);
        for (guint i = 0; i < r->acl->len; i++) {
            MsmAce *a = r->acl->pdata[i];
            buf_int(b, gen, strlen(a->identifier), 2);
            g_byte_array_append(b, (const guint8 *)a->identifier, (guint)strlen(a->identifier));
            buf_int(b, gen, strlen(a->rights), 1);
            g_byte_array_append(b, (const guint8 *)a->rights, (guint)strlen(a->rights));
        }
    }
    return b;
}

/* Decodes a folder.db value; MSM_ERROR_PARSE naming key and offset. */
static gboolean
folder_rec_decode(int gen, const guint8 *v, gsize len, const char *key, FolderRec *r,
                  GError **error)
{
    Cur c = {v, len, 0, gen, FALSE};
    memset(r, 0, sizeof *r);
    r->acl = g_ptr_array_new_with_free_func((GDestroyNotify)msm_ace_free);
    gsize pl;
    if (gen == 1) {
        pl = (gsize)cur_int(&c, 2);
    } else {
        guint64 rv = cur_int(&c, 1);
        if (!c.bad && rv != 2) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "folder.db record of %s: record version %u, expected 2", key, (guint)rv);
            folder_rec_clear(r);
            return FALSE;
        }
        pl = (gsize)cur_int(&c, 1);
    }
    r->partition = cur_str(&c, pl);
    r->uidvalidity = (guint32)cur_int(&c, 4);
    r->uidnext = (guint32)cur_int(&c, 4);
    r->count = (guint32)cur_int(&c, 4);
    r->bytes = cur_int(&c, 8);
    if (gen == 1) {
        gsize tl = (gsize)cur_int(&c, 4);
        char *t = cur_str(&c, tl);
        if (t && *t) { /* "" is a folder without ACL entries */
            char **f = g_strsplit(t, "\t", -1);
            guint n = g_strv_length(f);
            if (n % 2 != 1 || f[n - 1][0] != '\0')
                c.bad = TRUE;
            for (guint i = 0; !c.bad && i + 1 < n; i += 2)
                g_ptr_array_add(r->acl, msm_ace_new(f[i], f[i + 1]));
            g_strfreev(f);
            g_free(t);
        }
    } else {
        guint n = (guint)cur_int(&c, 2);
        for (guint i = 0; !c.bad && i < n; i++) {
            char *id = cur_str(&c, (gsize)cur_int(&c, 2));
            char *rt = cur_str(&c, (gsize)cur_int(&c, 1));
            if (id && rt)
                g_ptr_array_add(r->acl, msm_ace_new(id, rt));
            g_free(id);
            g_free(rt);
        }
    }
    if (!c.bad && c.off != c.len)
        c.bad = TRUE;
    for (guint i = 0; !c.bad && i < r->acl->len; i++) {
        MsmAce *a = r->acl->pdata[i];
        if (!ident_ok(a->identifier) || !rights_ok(a->rights))
            c.bad = TRUE;
    }
    if (c.bad || !partition_is_safe(r->partition)) {
        g_set_error(error, MSM_ERROR, c.bad ? MSM_ERROR_PARSE : MSM_ERROR_UNSAFE,
                    "folder.db record of %s is damaged near byte %" G_GSIZE_FORMAT
                    " (or names an unsafe partition); run reconstruct -m on the source",
                    key, c.off);
        folder_rec_clear(r);
        return FALSE;
    }
    return TRUE;
}

/* ---- quota.db and subscr.db records ---- */

static GByteArray *
quota_encode(int gen, const MsmOwner *o)
{
    GByteArray *b = g_byte_array_new();
    if (gen != 1)
        buf_int(b, gen, 2, 1);
    buf_int(b, gen, (guint64)o->quota_bytes, 8);
    buf_int(b, gen, (guint64)o->quota_messages, 8);
    buf_int(b, gen, (guint64)o->used_bytes, 8);
    return b;
}

static gboolean
quota_decode(int gen, const guint8 *v, gsize len, MsmOwner *o)
{
    Cur c = {v, len, 0, gen, FALSE};
    if (gen != 1 && cur_int(&c, 1) != 2)
        return FALSE;
    o->quota_bytes = (gint64)cur_int(&c, 8);
    o->quota_messages = (gint64)cur_int(&c, 8);
    o->used_bytes = (gint64)cur_int(&c, 8);
    return !c.bad && c.off == len;
}

static GByteArray *
subscr_encode(int gen, const MsmOwner *o, GError **error)
{
    GByteArray *b = g_byte_array_new();
    for (guint i = 0; o->subscriptions && i < o->subscriptions->len; i++) {
        const char *s = o->subscriptions->pdata[i];
        char *enc = NULL;
        if (!check_folder_name(s, error)) {
            g_prefix_error(error, "subscription of %s: ", o->user);
            g_byte_array_unref(b);
            return NULL;
        }
        if (gen == 1 && (enc = msm_mutf7_encode(s, error)) == NULL) {
            g_byte_array_unref(b);
            return NULL;
        }
        const char *w = enc ? enc : s;
        g_byte_array_append(b, (const guint8 *)w, (guint)strlen(w) + 1);
        g_free(enc);
    }
    return b;
}

/* Subscriptions from a subscr.db value (names that do not decode are dropped). */
static GPtrArray *
subscr_decode(int gen, const guint8 *v, gsize len)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    gsize off = 0;
    while (off < len) {
        const guint8 *nul = memchr(v + off, 0, len - off);
        gsize n = nul ? (gsize)(nul - (v + off)) : len - off;
        char *s = g_strndup((const char *)v + off, n);
        off += n + 1;
        if (gen == 1) {
            char *d = msm_mutf7_decode(s, NULL);
            g_free(s);
            s = d;
        } else if (!g_utf8_validate(s, -1, NULL)) {
            g_clear_pointer(&s, g_free);
        }
        if (s)
            g_ptr_array_add(a, s);
    }
    return a;
}

/* ---- Berkeley DB helpers ---- */

static const char *const db_files[] = {"folder.db", "quota.db", "peruser.db", "subscr.db",
                                       "lright.db"};
enum { DB_FOLDER, DB_QUOTA, DB_PERUSER, DB_SUBSCR, DB_LRIGHT, N_DBS };

static void
set_db_error(GError **error, int rc, const char *what, const char *path)
{
    g_set_error(error, MSM_ERROR,
                rc == ENOENT                   ? MSM_ERROR_NOT_FOUND
                : rc == ENOSPC || rc == EDQUOT ? MSM_ERROR_NO_SPACE
                                               : MSM_ERROR_FAILED,
                "Berkeley DB: %s %s: %s", what, path, db_strerror(rc));
}

/* Looks up key in db: TRUE with *val_r (malloc'd, free()) or NULL when absent. */
static gboolean
db_lookup(DB *db, DB_TXN *txn, const void *k, gsize klen, guint8 **val_r, gsize *len_r,
          const char *path, GError **error)
{
    DBT key, data;
    memset(&key, 0, sizeof key);
    memset(&data, 0, sizeof data);
    key.data = (void *)k;
    key.size = (u_int32_t)klen;
    data.flags = DB_DBT_MALLOC;
    int rc = db->get(db, txn, &key, &data, 0);
    *val_r = NULL;
    *len_r = 0;
    if (rc == DB_NOTFOUND)
        return TRUE;
    if (rc != 0) {
        set_db_error(error, rc, "cannot read", path);
        return FALSE;
    }
    *val_r = data.data;
    *len_r = data.size;
    return TRUE;
}

static int
db_store(DB *db, DB_TXN *txn, const void *k, gsize klen, const void *v, gsize vlen)
{
    DBT key, data;
    memset(&key, 0, sizeof key);
    memset(&data, 0, sizeof data);
    key.data = (void *)k;
    key.size = (u_int32_t)klen;
    data.data = (void *)v;
    data.size = (u_int32_t)vlen;
    return db->put(db, txn, &key, &data, 0);
}

static int
db_remove(DB *db, DB_TXN *txn, const void *k, gsize klen)
{
    DBT key;
    memset(&key, 0, sizeof key);
    key.data = (void *)k;
    key.size = (u_int32_t)klen;
    int rc = db->del(db, txn, &key, 0);
    return rc == DB_NOTFOUND ? 0 : rc;
}

/* Adds (rm = FALSE) or removes the lright.db pairs of an ACL for mailbox key mk. */
static int
lright_apply(DB *db, DB_TXN *txn, const GPtrArray *acl, const GByteArray *mk, gboolean rm)
{
    for (guint i = 0; acl && i < acl->len; i++) {
        const MsmAce *a = acl->pdata[i];
        if (strchr(a->rights, 'l') == NULL)
            continue;
        DBT key, data;
        memset(&key, 0, sizeof key);
        memset(&data, 0, sizeof data);
        key.data = a->identifier;
        key.size = key.ulen = (u_int32_t)strlen(a->identifier);
        data.data = mk->data;
        data.size = data.ulen = mk->len;
        key.flags = data.flags = DB_DBT_USERMEM;
        int rc;
        if (rm) {
            DBC *c = NULL;
            rc = db->cursor(db, txn, &c, 0);
            if (rc == 0) {
                rc = c->get(c, &key, &data, DB_GET_BOTH);
                if (rc == 0)
                    rc = c->del(c, 0);
                else if (rc == DB_NOTFOUND)
                    rc = 0;
                int rc2 = c->close(c);
                if (rc == 0)
                    rc = rc2;
            }
        } else {
            rc = db->put(db, txn, &key, &data, DB_NODUPDATA);
            if (rc == DB_KEYEXIST)
                rc = 0;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The store directory of root for version. (transfer full) */
static char *
store_dir(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    return msm_layout_resolve_store_dir(root, version, ctx ? ctx->instance : NULL, error);
}

/* The directory of owner's folder (absolute). (transfer full) */
static char *
folder_dir(const char *sdir, const char *partition, const char *owner, const char *relpath)
{
    char *h = msm_classic_store_hash_dir(owner);
    char *eq = g_strconcat("=", owner, NULL);
    char *d = g_build_filename(sdir, "partition", partition, "=user", h, eq, relpath, NULL);
    g_free(eq);
    g_free(h);
    return d;
}

/* Checks that every directory from sdir/partition down to dir is a real
 * directory, never a symbolic link; with create, makes the missing ones one at
 * a time (so nothing is ever created through a link). */
static gboolean
walk_dirs(const char *sdir, const char *dir, gboolean create, GError **error)
{
    gsize sl = strlen(sdir);
    if (strncmp(dir, sdir, sl) != 0 || dir[sl] != '/') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "%s is not below %s", dir, sdir);
        return FALSE;
    }
    /* lstat first: a mkdir of an existing directory takes its parent's lock */
    if (create && !msm_is_real_dir(sdir) && !msm_mkdir_p(sdir, FALSE, error))
        return FALSE;
    char *p = g_strdup(dir);
    gboolean ok = TRUE;
    for (char *s = p + sl + 1;; s++) {
        char c = *s;
        if (c != '/' && c != '\0')
            continue;
        *s = '\0';
        struct stat st;
        int rc = lstat(p, &st);
        if (rc != 0 && errno == ENOENT && create) {
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                int e = errno;
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                            "cannot create %s: %s (the run can be resumed once fixed)", p,
                            g_strerror(e));
                ok = FALSE;
            } else {
                rc = lstat(p, &st);
            }
        }
        if (ok && rc != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, e == ENOENT ? MSM_ERROR_NOT_FOUND : MSM_ERROR_IO,
                        "cannot examine %s: %s", p, g_strerror(e));
            ok = FALSE;
        } else if (ok && !S_ISDIR(st.st_mode)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s is %s, not a directory; refusing to follow it", p,
                        S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
            ok = FALSE;
        }
        *s = c;
        if (!ok || c == '\0')
            break;
    }
    g_free(p);
    return ok;
}

static gboolean
check_no_links(const char *sdir, const char *dir, GError **error)
{
    return walk_dirs(sdir, dir, FALSE, error);
}

/* ---- partition directories: store_root/partitions.conf ---- */

#define PARTITIONS_CONF "partitions.conf"
#define PARTITIONS_UNDO "partitions.undo"

/* Checks one partitions.conf entry; its absolute directory. (transfer full) */
static char *
partition_conf_dir(const char *sdir, const char *conf, const char *name, const char *value,
                   GError **error)
{
    const char *why = NULL;
    char *dir = NULL;
    struct stat st;
    if (!partition_is_safe(name)) {
        why = "the nickname is not [A-Za-z0-9_-]{1,64}";
    } else if (value == NULL || *value == '\0') {
        why = "the directory is empty";
    } else {
        char **parts = g_strsplit(value, "/", -1);
        for (guint i = 0; parts[i] && why == NULL; i++)
            if (strcmp(parts[i], "..") == 0)
                why = "the directory has a \"..\" component";
        g_strfreev(parts);
    }
    if (why == NULL) {
        char *raw = g_path_is_absolute(value) ? g_strdup(value)
                                              : g_build_filename(sdir, value, NULL);
        dir = g_canonicalize_filename(raw, NULL);
        g_free(raw);
        if (lstat(dir, &st) != 0)
            why = "the directory does not exist";
        else if (S_ISLNK(st.st_mode))
            why = "it is a symbolic link (name the directory itself)";
        else if (!S_ISDIR(st.st_mode))
            why = "it is not a directory";
    }
    if (why) {
        char *shown = g_strescape(value ? value : "", NULL);
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s: partition \"%s\" = \"%s\": %s; fix the entry (a partition directory "
                    "is absolute or relative to %s, without \"..\")",
                    conf, name, shown, why, sdir);
        g_free(shown);
        g_clear_pointer(&dir, g_free);
    }
    return dir;
}

/* sdir/partitions.conf as nickname -> absolute directory (an empty table when the
 * file is absent). MSM_ERROR_UNSAFE / PARSE naming the file and entry. (transfer full) */
static GHashTable *
partitions_load(const char *sdir, GError **error)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char *conf = g_build_filename(sdir, PARTITIONS_CONF, NULL);
    struct stat st;
    gboolean ok = TRUE;
    if (lstat(conf, &st) == 0) {
        char *text = NULL;
        gsize len = 0;
        MsmLegacyRecord *rec = NULL;
        if (!S_ISREG(st.st_mode)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s is not a regular file (a symbolic link?); refusing to read it", conf);
            ok = FALSE;
        } else if (!g_file_get_contents(conf, &text, &len, error)) {
            ok = FALSE;
        } else {
            ok = (rec = msm_legacy_record_parse(text, len, conf, error)) != NULL;
        }
        GHashTableIter hi;
        gpointer k, v;
        if (ok)
            g_hash_table_iter_init(&hi, rec);
        while (ok && g_hash_table_iter_next(&hi, &k, &v)) {
            char *d = partition_conf_dir(sdir, conf, k, v, error);
            if (d)
                g_hash_table_replace(t, g_strdup(k), d);
            ok = d != NULL;
        }
        if (rec)
            msm_legacy_record_free(rec);
        g_free(text);
    }
    g_free(conf);
    if (!ok)
        g_clear_pointer(&t, g_hash_table_unref);
    return t;
}

/* The directory of owner's folder rel (relative to the user directory) in partition
 * part: below the directory partitions.conf names, else below sdir/partition/<part>.
 * *anchor_r: the directory below which no symbolic link is followed (the configured
 * partition directory, else sdir). (transfer full, both) */
static char *
part_folder_dir(const char *sdir, GHashTable *parts, const char *part, const char *owner,
                const char *rel, char **anchor_r)
{
    const char *base = parts ? g_hash_table_lookup(parts, part) : NULL;
    if (base == NULL) {
        *anchor_r = g_strdup(sdir);
        return folder_dir(sdir, part, owner, rel);
    }
    *anchor_r = g_strdup(base);
    char *h = msm_classic_store_hash_dir(owner);
    char *eq = g_strconcat("=", owner, NULL);
    char *d = g_build_filename(base, "=user", h, eq, rel, NULL);
    g_free(eq);
    g_free(h);
    return d;
}

/* ====================================================================== */
/* reader                                                                 */
/* ====================================================================== */

typedef struct {
    int gen;
    char *sdir, *mdir;
    DB *db[N_DBS];
    DBC *cursor;
    char *cur_owner; /* owner whose quota/subscriptions are cached */
    MsmOwner *owner_proto;
    GHashTable *parts; /* partitions.conf: nickname -> directory */
} Reader;

/* Opens mboxlist/<name> read-only without an environment. */
static DB *
open_db_ro(const char *mdir, const char *name, gboolean dup, GError **error)
{
    char *path = g_build_filename(mdir, name, NULL);
    DB *db = NULL;
    int rc = db_create(&db, NULL, 0);
    if (rc == 0 && dup)
        rc = db->set_flags(db, DB_DUP | DB_DUPSORT);
    if (rc == 0) /* a small fixed cache: the reader's memory does not grow with the store */
        rc = db->set_cachesize(db, 0, RO_CACHE, 1);
    if (rc == 0) {
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "%s is missing or not a regular file: this is not a classic message store "
                        "(or its mailboxes database was moved)",
                        path);
            db->close(db, 0);
            g_free(path);
            return NULL;
        }
        /* DB_NOMMAP: read through the cache, never map the whole file (a mapped
         * folder.db would count in the resident size in proportion to the store) */
        rc = db->open(db, NULL, path, NULL, DB_BTREE, DB_RDONLY | DB_NOMMAP, 0);
    }
    if (rc != 0) {
        set_db_error(error, rc, "cannot open", path);
        if (db)
            db->close(db, 0);
        db = NULL;
    }
    g_free(path);
    return db;
}

/* Reads the version record: *dbf_r / *stf_r = 1 / 1 when it is absent. */
static gboolean
read_version(DB *db, DB_TXN *txn, const char *path, guint32 *dbf_r, guint32 *stf_r,
             GError **error)
{
    guint8 *v;
    gsize n;
    if (!db_lookup(db, txn, VERSION_KEY, strlen(VERSION_KEY), &v, &n, path, error))
        return FALSE;
    *dbf_r = *stf_r = 1;
    if (v == NULL)
        return TRUE;
    gboolean ok = n == 8;
    if (ok) {
        *dbf_r = get_le32(v);
        *stf_r = get_le32(v + 4);
    } else {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: the version record is damaged",
                    path);
    }
    free(v);
    return ok;
}

static int
gen_of_formats(guint32 dbf, guint32 stf)
{
    if (dbf == 1 && stf == 1)
        return 1;
    if (dbf == 2 && stf == 1)
        return 2;
    if (dbf == 2 && stf == 2)
        return 3;
    return 0;
}

/* Refuses a store written by another generation. */
static gboolean
check_generation(int want, guint32 dbf, guint32 stf, const char *path, const char *version,
                 GError **error)
{
    int have = gen_of_formats(dbf, stf);
    if (have == want)
        return TRUE;
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                "%s holds database format %u, store format %u: written by %s, but %s reads "
                "%s stores only; give the version that wrote the store (--from), or migrate it "
                "forward first",
                path, dbf, stf, have ? gen_names[have] : "an unknown release", version,
                gen_names[want]);
    return FALSE;
}

static void
reader_close(gpointer reader)
{
    Reader *r = reader;
    if (r == NULL)
        return;
    if (r->cursor)
        r->cursor->close(r->cursor);
    for (int i = 0; i < N_DBS; i++)
        if (r->db[i])
            r->db[i]->close(r->db[i], 0);
    if (r->owner_proto)
        msm_owner_free(r->owner_proto);
    if (r->parts)
        g_hash_table_unref(r->parts);
    g_free(r->cur_owner);
    g_free(r->sdir);
    g_free(r->mdir);
    g_free(r);
}

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    int gen = msm_classic_store_generation(version);
    if (gen == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the classic-store codec does not read version %s", version);
        return NULL;
    }
    Reader *r = g_new0(Reader, 1);
    r->gen = gen;
    r->sdir = store_dir(ctx, root, version, error);
    if (r->sdir == NULL)
        goto fail;
    r->mdir = g_build_filename(r->sdir, "mboxlist", NULL);
    if (!msm_is_real_dir(r->mdir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s is not a directory: no classic message store of %s under %s", r->mdir,
                    version, root);
        goto fail;
    }
    if ((r->parts = partitions_load(r->sdir, error)) == NULL)
        goto fail;
    r->db[DB_FOLDER] = open_db_ro(r->mdir, "folder.db", FALSE, error);
    if (r->db[DB_FOLDER] == NULL)
        goto fail;
    guint32 dbf, stf;
    char *fp = g_build_filename(r->mdir, "folder.db", NULL);
    gboolean vok = read_version(r->db[DB_FOLDER], NULL, fp, &dbf, &stf, error) &&
                   check_generation(gen, dbf, stf, fp, version, error);
    g_free(fp);
    if (!vok)
        goto fail;
    if ((r->db[DB_QUOTA] = open_db_ro(r->mdir, "quota.db", FALSE, error)) == NULL ||
        (r->db[DB_SUBSCR] = open_db_ro(r->mdir, "subscr.db", FALSE, error)) == NULL)
        goto fail;
    int rc = r->db[DB_FOLDER]->cursor(r->db[DB_FOLDER], NULL, &r->cursor, 0);
    if (rc != 0) {
        set_db_error(error, rc, "cannot read", r->mdir);
        goto fail;
    }
    return r;
fail:
    reader_close(r);
    return NULL;
}

/* Loads owner's quota and subscriptions into r->owner_proto. */
static gboolean
load_owner(Reader *r, const char *owner, GError **error)
{
    if (r->cur_owner && strcmp(r->cur_owner, owner) == 0)
        return TRUE;
    g_free(r->cur_owner);
    r->cur_owner = g_strdup(owner);
    if (r->owner_proto)
        msm_owner_free(r->owner_proto);
    r->owner_proto = msm_owner_new(owner);
    guint8 *v;
    gsize n;
    if (!db_lookup(r->db[DB_QUOTA], NULL, owner, strlen(owner), &v, &n, "quota.db", error))
        return FALSE;
    if (v && !quota_decode(r->gen, v, n, r->owner_proto)) {
        free(v);
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s/quota.db: the record of %s is damaged; run reconstruct -q on the source",
                    r->mdir, owner);
        g_clear_pointer(&r->cur_owner, g_free);
        return FALSE;
    }
    free(v);
    if (!db_lookup(r->db[DB_SUBSCR], NULL, owner, strlen(owner), &v, &n, "subscr.db", error))
        return FALSE;
    if (v) {
        g_ptr_array_unref(r->owner_proto->subscriptions);
        r->owner_proto->subscriptions = subscr_decode(r->gen, v, n);
        free(v);
    }
    return TRUE;
}

typedef struct {
    FILE *f;
    int dfd; /* the folder directory (for fstatat of each message file), or -1 */
    char *dir, *idx;
    int gen;
    guint32 left, last_uid;
    GPtrArray *keywords;
} MsgIter;

static void
msg_iter_free(gpointer p)
{
    MsgIter *it = p;
    if (it->f)
        fclose(it->f);
    if (it->dfd >= 0)
        close(it->dfd);
    g_free(it->dir);
    g_free(it->idx);
    g_ptr_array_unref(it->keywords);
    g_free(it);
}

static gboolean
msg_iter_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    MsgIter *it = data;
    *msg_r = NULL;
    if (it->left == 0)
        return TRUE;
    guint8 rec[IDX_REC_V2];
    gsize rs = it->gen == 3 ? IDX_REC_V2 : IDX_REC_V1;
    long off = ftell(it->f);
    if (fread(rec, 1, rs, it->f) != rs) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: truncated message record at byte %ld; run reconstruct on the source",
                    it->idx, off);
        return FALSE;
    }
    MsmMessage *m = msm_message_new();
    m->uid = get_be32(rec);
    m->flags = get_be32(rec + 4);
    guint64 kw;
    const guint8 *p;
    if (it->gen == 3) {
        kw = get_be64(rec + 8);
        p = rec + 16;
    } else {
        kw = get_be32(rec + 8);
        p = rec + 12;
    }
    m->internal_date = (gint64)get_be64(p);
    m->size = (gint64)get_be64(p + 8);
    if (m->uid <= it->last_uid || (m->flags & ~0x3fu) != 0 || m->size < 0 ||
        (it->keywords->len < 64 && (kw >> it->keywords->len) != 0)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: damaged message record at byte %ld (UID %u after %u, flags 0x%x or "
                    "keyword bits out of range); run reconstruct on the source",
                    it->idx, off, m->uid, it->last_uid, m->flags);
        msm_message_free(m);
        return FALSE;
    }
    it->last_uid = m->uid;
    for (guint i = 0; i < it->keywords->len && i < 64; i++)
        if (kw & ((guint64)1 << i))
            g_ptr_array_add(m->keywords, g_strdup(it->keywords->pdata[i]));
    char name[32];
    g_snprintf(name, sizeof name, "%u.msg", m->uid);
    char *path = g_build_filename(it->dir, name, NULL);
    struct stat st; /* relative to the folder's directory: no walk of the whole path */
    int lr = it->dfd >= 0 ? fstatat(it->dfd, name, &st, AT_SYMLINK_NOFOLLOW) : lstat(path, &st);
    int e = errno;
    if (lr != 0 || !S_ISREG(st.st_mode) || st.st_size != m->size) {
        gboolean link = lr == 0 && S_ISLNK(st.st_mode);
        g_set_error(error, MSM_ERROR, link ? MSM_ERROR_UNSAFE : MSM_ERROR_PARSE,
                    "%s: %s (store.idx says a regular file of %" G_GINT64_FORMAT " bytes)", path,
                    lr != 0                ? g_strerror(e)
                    : link                 ? "is a symbolic link, not followed"
                    : !S_ISREG(st.st_mode) ? "is not a regular file"
                                           : "has another size",
                    m->size);
        g_free(path);
        msm_message_free(m);
        return FALSE;
    }
    m->body = msm_body_new_file(path, m->size);
    g_free(path);
    it->left--;
    *msg_r = m;
    return TRUE;
}

/* Opens a folder's store.idx: header and keyword table; leaves f at the records. */
static MsgIter *
open_index(const char *dir, int gen, guint32 *uidvalidity_r, guint32 *uidnext_r,
           GError **error)
{
    MsgIter *it = g_new0(MsgIter, 1);
    it->gen = gen;
    it->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); /* -1: paths */
    it->dir = g_strdup(dir);
    it->idx = g_build_filename(dir, "store.idx", NULL);
    it->keywords = g_ptr_array_new_with_free_func(g_free);
    int fd = open(it->idx, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_PARSE,
                    "cannot open %s: %s (an interrupted write or a damaged store: run "
                    "reconstruct, or migrate the folder again)",
                    it->idx, g_strerror(e));
        goto fail;
    }
    it->f = fdopen(fd, "rb");
    guint8 h[IDX_HEADER];
    struct stat st;
    if (fstat(fd, &st) != 0 || fread(h, 1, IDX_HEADER, it->f) != IDX_HEADER ||
        memcmp(h, IDX_MAGIC, 4) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: no store.idx header (magic \"MSIX\"); run reconstruct on the source",
                    it->idx);
        goto fail;
    }
    guint fmt = ((guint)h[4] << 8) | h[5], rs = ((guint)h[6] << 8) | h[7];
    guint want = gen == 3 ? 2 : 1;
    if (fmt != want || rs != (want == 2 ? IDX_REC_V2 : IDX_REC_V1)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: store.idx format %u (record size %u) is written by %s, but this reader "
                    "reads format %u (%s)",
                    it->idx, fmt, rs, fmt == 2 ? gen_names[3] : gen_names[1], want,
                    gen_names[gen]);
        goto fail;
    }
    *uidvalidity_r = get_be32(h + 8);
    *uidnext_r = get_be32(h + 12);
    it->left = get_be32(h + 16);
    guint64 kwoff = get_be64(h + 28);
    guint32 kwn = get_be32(h + 36);
    if (kwoff != IDX_HEADER + (guint64)it->left * rs || kwoff > (guint64)st.st_size ||
        kwn > (gen == 3 ? 64u : 32u)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: the header's message count %u, keyword table offset %" G_GUINT64_FORMAT
                    " and keyword count %u do not agree with the file size %" G_GINT64_FORMAT
                    "; run reconstruct on the source",
                    it->idx, it->left, kwoff, kwn, (gint64)st.st_size);
        goto fail;
    }
    if (fseeko(it->f, (off_t)kwoff, SEEK_SET) != 0)
        goto damaged;
    for (guint32 i = 0; i < kwn; i++) {
        guint8 l[2];
        char buf[256];
        if (fread(l, 1, 2, it->f) != 2)
            goto damaged;
        guint n = ((guint)l[0] << 8) | l[1];
        if (n == 0 || n > 255 || fread(buf, 1, n, it->f) != n || memchr(buf, 0, n))
            goto damaged;
        g_ptr_array_add(it->keywords, g_strndup(buf, n));
    }
    if (fseeko(it->f, IDX_HEADER, SEEK_SET) != 0)
        goto damaged;
    return it;
damaged:
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                "%s: the keyword table is damaged; run reconstruct on the source", it->idx);
fail:
    msg_iter_free(it);
    return NULL;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    *item_r = NULL;
    for (;;) {
        DBT key, data;
        memset(&key, 0, sizeof key);
        memset(&data, 0, sizeof data);
        int rc = r->cursor->get(r->cursor, &key, &data, DB_NEXT);
        if (rc == DB_NOTFOUND)
            return TRUE;
        if (rc != 0) {
            set_db_error(error, rc, "cannot read", r->mdir);
            return FALSE;
        }
        if (key.size == strlen(VERSION_KEY) && memcmp(key.data, VERSION_KEY, key.size) == 0)
            continue;
        char *owner = NULL, *fname = NULL;
        if (!parse_folder_key(r->gen, key.data, key.size, &owner, &fname, error))
            return FALSE;
        char *ikey = g_strdup_printf("user/%s/%s", owner, fname);
        FolderRec rec;
        gboolean ok = folder_rec_decode(r->gen, data.data, data.size, ikey, &rec, error);
        char *rel = ok ? msm_classic_store_folder_relpath(fname, error) : NULL;
        char *anchor = NULL;
        char *dir = rel ? part_folder_dir(r->sdir, r->parts, rec.partition, owner, rel, &anchor)
                        : NULL;
        MsgIter *it = NULL;
        guint32 uv = 0, un = 0;
        if (dir && check_no_links(anchor, dir, error))
            it = open_index(dir, r->gen, &uv, &un, error);
        g_free(anchor);
        if (it && !load_owner(r, owner, error))
            g_clear_pointer(&it, msg_iter_free);
        if (it == NULL) {
            g_prefix_error(error, "folder %s: ", ikey);
            if (error && *error && (*error)->code != MSM_ERROR_UNSAFE)
                (*error)->code = MSM_ERROR_PARSE; /* per entry: the reader goes on */
        } else {
            MsmOwner *o = msm_owner_copy(r->owner_proto);
            g_free(o->partition);
            o->partition = g_strdup(rec.partition);
            MsmFolder *f = msm_folder_new(o, fname);
            f->uidvalidity = uv;
            f->uidnext = un;
            f->message_count = it->left;
            for (guint i = 0; i < rec.acl->len; i++) {
                MsmAce *a = rec.acl->pdata[i];
                g_ptr_array_add(f->acl, msm_ace_new(a->identifier, a->rights));
            }
            f->messages = msm_message_iter_new(msg_iter_next, it, msg_iter_free);
            *item_r = msm_item_new(MSM_KIND_STORE, ikey, f);
        }
        if (ok)
            folder_rec_clear(&rec);
        g_free(dir);
        g_free(rel);
        g_free(ikey);
        g_free(owner);
        g_free(fname);
        return it != NULL;
    }
}

static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Reader *r = reader;
    DBC *c = NULL;
    *items_r = *bytes_r = 0;
    if (r->db[DB_FOLDER]->cursor(r->db[DB_FOLDER], NULL, &c, 0) != 0)
        return FALSE;
    DBT key, data;
    memset(&key, 0, sizeof key);
    memset(&data, 0, sizeof data);
    while (c->get(c, &key, &data, DB_NEXT) == 0) {
        if (key.size == strlen(VERSION_KEY) && memcmp(key.data, VERSION_KEY, key.size) == 0)
            continue;
        FolderRec rec;
        (*items_r)++;
        if (folder_rec_decode(r->gen, data.data, data.size, "", &rec, NULL)) {
            *bytes_r += rec.bytes;
            folder_rec_clear(&rec);
        }
    }
    c->close(c);
    return TRUE;
}

/* ====================================================================== */
/* writer                                                                 */
/* ====================================================================== */

typedef struct {
    int gen;
    char *version;
    char *sdir, *mdir;
    char *undo; /* <work dir>/classic-store, or NULL when nothing is tracked */
    DB_ENV *env;
    DB *db[N_DBS];
    GMutex lock; /* guards every database access */
    GHashTable *parts;  /* partitions.conf: nickname -> directory (read-only once open) */
    GHashTable *adopt;  /* in-place reuse of an NMS 4.x store: its partitions, or NULL */
    gboolean nms_quota; /* run from NMS 4.x: used bytes recomputed (reconstruct -q) */
    gint undo_made;     /* undo exists (made once, then never mkdir'ed again: atomic) */
} Writer;

/* Makes the undo directory once per writer. */
static gboolean
undo_dir(Writer *w, GError **error)
{
    if (g_atomic_int_get(&w->undo_made))
        return TRUE;
    if (!msm_mkdir_p(w->undo, TRUE, error))
        return FALSE;
    g_atomic_int_set(&w->undo_made, 1);
    return TRUE;
}

static void
env_close(DB_ENV *env, DB **dbs)
{
    for (int i = 0; i < N_DBS; i++)
        if (dbs[i]) {
            dbs[i]->close(dbs[i], 0);
            dbs[i] = NULL;
        }
    if (env)
        env->close(env, 0);
}

/* Opens (recovering) the transactional environment in mdir and the five databases. */
static gboolean
env_open(const char *mdir, DB_ENV **env_r, DB **dbs, GError **error)
{
    DB_ENV *env = NULL;
    *env_r = NULL;
    if (!msm_mkdir_p(mdir, FALSE, error))
        return FALSE;
    if (!msm_is_real_dir(mdir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s is not a real directory (a symbolic link?); refusing to write there",
                    mdir);
        return FALSE;
    }
    int rc = db_env_create(&env, 0);
    if (rc == 0)
        rc = env->set_cachesize(env, 0, ENV_CACHE, 1);
    if (rc == 0)
        rc = env->set_lg_max(env, 4 * 1024 * 1024);
    if (rc == 0)
        rc = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
    if (rc == 0)
        rc = env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1);
    if (rc == 0) /* regions written out at creation: a full file system is an error here, */
        rc = env->set_flags(env, DB_REGION_INIT, 1); /* not a SIGBUS on a mapped page later */
    if (rc == 0)
        rc = env->open(env, mdir,
                       DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
                           DB_THREAD | DB_RECOVER,
                       0600);
    if (rc != 0) {
        set_db_error(error, rc, "cannot open the environment in", mdir);
        if (env)
            env->close(env, 0);
        return FALSE;
    }
    for (int i = 0; i < N_DBS; i++) {
        rc = db_create(&dbs[i], env, 0);
        if (rc == 0 && i == DB_LRIGHT)
            rc = dbs[i]->set_flags(dbs[i], DB_DUP | DB_DUPSORT);
        if (rc == 0)
            rc = dbs[i]->open(dbs[i], NULL, db_files[i], NULL, DB_BTREE,
                              DB_CREATE | DB_AUTO_COMMIT | DB_THREAD, 0644);
        if (rc != 0) {
            char *p = g_build_filename(mdir, db_files[i], NULL);
            set_db_error(error, rc, "cannot open", p);
            g_free(p);
            env_close(env, dbs);
            return FALSE;
        }
    }
    *env_r = env;
    return TRUE;
}

/* Checkpoints and flushes everything to disk. */
static gboolean
env_sync(DB_ENV *env, const char *mdir, GError **error)
{
    int rc = env->log_flush(env, NULL);
    if (rc == 0)
        rc = env->txn_checkpoint(env, 0, 0, DB_FORCE);
    if (rc == 0)
        rc = env->memp_sync(env, NULL);
    if (rc != 0) {
        set_db_error(error, rc, "cannot checkpoint", mdir);
        return FALSE;
    }
    return TRUE;
}

/* Makes sure the version record of the generation is there (G2, G3), and that
 * the databases do not hold another generation's records. */
static gboolean
ensure_version(Writer *w, GError **error)
{
    char *fp = g_build_filename(w->mdir, "folder.db", NULL);
    guint32 dbf, stf;
    gboolean ok = read_version(w->db[DB_FOLDER], NULL, fp, &dbf, &stf, error);
    int have = gen_of_formats(dbf, stf);
    if (ok && have != w->gen) {
        DBT key, data;
        memset(&key, 0, sizeof key);
        memset(&data, 0, sizeof data);
        key.flags = data.flags = DB_DBT_MALLOC;
        DBC *c = NULL;
        gboolean empty = TRUE;
        if (w->db[DB_FOLDER]->cursor(w->db[DB_FOLDER], NULL, &c, 0) == 0) {
            while (empty && c->get(c, &key, &data, DB_NEXT) == 0) {
                empty = key.size == strlen(VERSION_KEY) &&
                        memcmp(key.data, VERSION_KEY, key.size) == 0;
                free(key.data);
                free(data.data);
            }
            c->close(c);
        }
        int rc = 0;
        if (!empty) {
            check_generation(w->gen, dbf, stf, fp, w->version, error);
            g_prefix_error(error, "cannot write into this store: ");
            ok = FALSE;
        } else if (w->gen == 1) {
            rc = db_remove(w->db[DB_FOLDER], NULL, VERSION_KEY, strlen(VERSION_KEY));
        } else {
            guint8 v[8];
            put_le32(v, 2);
            put_le32(v + 4, w->gen == 3 ? 2 : 1);
            rc = db_store(w->db[DB_FOLDER], NULL, VERSION_KEY, strlen(VERSION_KEY), v, 8);
        }
        if (rc != 0) {
            set_db_error(error, rc, "cannot write the version record of", fp);
            ok = FALSE;
        }
    }
    g_free(fp);
    return ok;
}

/* Zeroes the unused bytes of the btree pages of a closed database file (what
 * Berkeley DB leaves there is whatever its buffers held): for each leaf or
 * internal page (native byte order, 26-byte header: entries at 20, high free
 * offset at 22, type at 25) the gap between the index array and the items. */
static void
zero_free_space(int fd)
{
    guint8 meta[72];
    if (pread(fd, meta, sizeof meta, 0) != (ssize_t)sizeof meta)
        return;
    guint32 psize;
    memcpy(&psize, meta + 20, 4);
    if (psize < 512 || psize > 65536 || (psize & (psize - 1)) != 0)
        return;
    guint8 *page = g_malloc(psize);
    for (off_t off = psize;; off += psize) {
        if (pread(fd, page, psize, off) != (ssize_t)psize)
            break;
        guint16 entries, hf;
        memcpy(&entries, page + 20, 2);
        memcpy(&hf, page + 22, 2);
        guint8 type = page[25];
        if (type != 3 && type != 5 && type != 12) /* P_IBTREE, P_LBTREE, P_LDUP */
            continue;
        gsize lo = 26 + 2 * (gsize)entries;
        if (lo >= hf || hf > psize)
            continue;
        gboolean dirty = FALSE;
        for (gsize i = lo; i < hf && !dirty; i++)
            dirty = page[i] != 0;
        if (!dirty)
            continue;
        memset(page + lo, 0, hf - lo);
        if (pwrite(fd, page + lo, hf - lo, off + (off_t)lo) != (ssize_t)(hf - lo))
            break;
    }
    g_free(page);
}

/* After a clean close: makes the five files standalone and reproducible, as
 * db_load -r lsn does: page LSNs reset to zero (lsn_reset), the log files
 * removed (every transaction is in the files after the checkpoint), and the
 * meta page's file id (bytes 52-71) set to the first 20 bytes of SHA-256 of
 * "msmigrate classic-store <file name>". The same puts then give the same
 * bytes, and the next writer starts a new log. Failures are harmless: the
 * files stay as they were, with their log. */
static void
make_standalone(const char *mdir)
{
    DB_ENV *env = NULL;
    if (db_env_create(&env, 0) != 0)
        return;
    gboolean ok = env->open(env, mdir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0) == 0;
    for (int i = 0; ok && i < N_DBS; i++)
        ok = env->lsn_reset(env, db_files[i], 0) == 0;
    env->close(env, 0);
    if (!ok)
        return;
    GDir *d = g_dir_open(mdir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d)) != NULL) {
        if (g_str_has_prefix(n, "log.")) {
            char *p = g_build_filename(mdir, n, NULL);
            unlink(p);
            g_free(p);
        }
    }
    if (d)
        g_dir_close(d);
    for (int i = 0; i < N_DBS; i++) {
        char *p = g_build_filename(mdir, db_files[i], NULL);
        char *seed = g_strconcat("msmigrate classic-store ", db_files[i], NULL);
        GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
        g_checksum_update(c, (const guchar *)seed, (gssize)strlen(seed));
        guint8 dig[32];
        gsize dl = sizeof dig;
        g_checksum_get_digest(c, dig, &dl);
        g_checksum_free(c);
        int fd = open(p, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            if (pwrite(fd, dig, DB_FILE_ID_LEN, 52) != DB_FILE_ID_LEN)
                g_warning("cannot set the file id of %s", p);
            zero_free_space(fd);
            close(fd);
        }
        g_free(seed);
        g_free(p);
    }
}

static void
writer_close(gpointer writer)
{
    Writer *w = writer;
    if (w == NULL)
        return;
    gboolean clean = w->env && env_sync(w->env, w->mdir, NULL);
    env_close(w->env, w->db);
    DB_ENV *rm = NULL; /* drop the region files (__db.NNN) */
    if (w->env && db_env_create(&rm, 0) == 0)
        rm->remove(rm, w->mdir, 0);
    if (clean)
        make_standalone(w->mdir);
    g_mutex_clear(&w->lock);
    if (w->parts)
        g_hash_table_unref(w->parts);
    if (w->adopt)
        g_hash_table_unref(w->adopt);
    g_free(w->version);
    g_free(w->sdir);
    g_free(w->mdir);
    g_free(w->undo);
    g_free(w);
}

static char *hex_of(const guint8 *p, gsize n);
static gboolean write_meta(GKeyFile *meta, const char *path, GError **error);

/* In-place reuse of an NMS 4.x source (docs/formats/store-nms4.md "In-place
 * reuse"), asked for by the profile ([store] nms4-reuse = in-place) or by the undo
 * marker of a run being resumed: partitions.conf points each partition of the 4.x
 * store at its 4.x directory (the old file is kept in the undo directory first), and
 * the writer adopts the 4.x message files (adopt_body). Refuses to repoint a target
 * partition that already holds users. */
static gboolean
adopt_setup(Writer *w, MsmCtx *ctx, GError **error)
{
    const char *from = ctx ? msm_ctx_run_from(ctx) : NULL;
    w->nms_quota = from && g_str_has_prefix(from, "nms-4.");
    gboolean in_place = FALSE;
    if (!msm_core_nms4_reuse_in_place(ctx, &in_place, error))
        return FALSE;
    char *marker = w->undo ? g_build_filename(w->undo, PARTITIONS_UNDO, NULL) : NULL;
    gboolean resumed = marker && g_file_test(marker, G_FILE_TEST_IS_REGULAR);
    if ((!in_place && !resumed) || (ctx && msm_ctx_dry_run(ctx))) {
        g_free(marker);
        return TRUE;
    }
    GHashTable *src = msm_core_nms4_source_partitions(ctx, error);
    gboolean ok = src != NULL, change = FALSE;
    GHashTableIter hi;
    gpointer k, v;
    if (ok)
        g_hash_table_iter_init(&hi, src);
    while (ok && g_hash_table_iter_next(&hi, &k, &v)) {
        const char *cur = g_hash_table_lookup(w->parts, k);
        if (cur && strcmp(cur, v) == 0)
            continue;
        char *old = cur ? g_strdup(cur) : g_build_filename(w->sdir, "partition", k, NULL);
        char *users = g_build_filename(old, "=user", NULL);
        if (!resumed && g_file_test(users, G_FILE_TEST_EXISTS)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                        "in-place reuse points the 5.2 partition %s at the NMS 4.x partition %s, "
                        "but the target's partition %s already holds users (%s): migrate by copy "
                        "([store] nms4-reuse = copy) or start from an empty target store",
                        (const char *)k, (const char *)v, old, users);
            ok = FALSE;
        }
        change = TRUE;
        g_free(users);
        g_free(old);
    }
    char *conf = g_build_filename(w->sdir, PARTITIONS_CONF, NULL);
    if (ok && w->undo && !resumed) { /* the old partitions.conf (or its absence), once */
        char *text = NULL;
        gsize len = 0;
        GKeyFile *meta = g_key_file_new();
        char *hex = g_file_get_contents(conf, &text, &len, NULL) ? hex_of((guint8 *)text, len)
                                                                 : g_strdup("-");
        g_key_file_set_string(meta, "undo", "conf", hex);
        ok = msm_mkdir_p(w->undo, TRUE, error) && write_meta(meta, marker, error);
        g_key_file_free(meta);
        g_free(hex);
        g_free(text);
    }
    if (ok && change) {
        MsmLegacyRecord *rec = msm_legacy_record_new();
        g_hash_table_iter_init(&hi, w->parts);
        while (g_hash_table_iter_next(&hi, &k, &v))
            msm_legacy_record_set(rec, k, v);
        g_hash_table_iter_init(&hi, src);
        while (g_hash_table_iter_next(&hi, &k, &v))
            msm_legacy_record_set(rec, k, v);
        char *text = msm_legacy_record_to_string(rec);
        msm_legacy_record_free(rec);
        ok = msm_mkdir_p(w->sdir, FALSE, error) &&
             msm_write_file_atomic(conf, text, strlen(text), 0644, error);
        g_free(text);
        if (ok) {
            g_hash_table_unref(w->parts);
            ok = (w->parts = partitions_load(w->sdir, error)) != NULL;
        }
    }
    if (ok)
        w->adopt = g_steal_pointer(&src);
    if (src)
        g_hash_table_unref(src);
    g_free(conf);
    g_free(marker);
    return ok;
}

/* An in-place run writing its stage (core/store-stage.h): the live store's message
 * files are adopted by hard link like the NMS 4.x ones (adopt_body): the stage costs
 * no message bytes, and the store it replaces keeps its files (message files are
 * never changed in place). Keyed by no partition name, so adopt_check, which guards
 * partitions shared with a 4.x store, does not apply. */
static gboolean
stage_adopt_setup(Writer *w, MsmCtx *ctx, const char *root, const char *version,
                  GError **error)
{
    if (w->adopt != NULL || ctx == NULL || ctx->store_stage_root == NULL ||
        msm_ctx_dry_run(ctx) || strcmp(root, ctx->store_stage_root) != 0)
        return TRUE;
    char *live = store_dir(ctx, ctx->target_root, version, error);
    GHashTable *lp = live ? partitions_load(live, error) : NULL;
    if (lp == NULL) {
        g_free(live);
        return FALSE;
    }
    w->adopt = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(w->adopt, g_strdup("stage:"), g_build_filename(live, "partition", NULL));
    GHashTableIter hi;
    gpointer k, v;
    g_hash_table_iter_init(&hi, lp);
    while (g_hash_table_iter_next(&hi, &k, &v))
        g_hash_table_insert(w->adopt, g_strconcat("stage:", (const char *)k, NULL), g_strdup(v));
    g_hash_table_unref(lp);
    g_free(live);
    return TRUE;
}

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    int gen = msm_classic_store_generation(version);
    if (gen == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the classic-store codec does not write version %s", version);
        return NULL;
    }
    Writer *w = g_new0(Writer, 1);
    g_mutex_init(&w->lock);
    w->gen = gen;
    w->version = g_strdup(version);
    w->sdir = store_dir(ctx, root, version, error);
    if (w->sdir == NULL)
        goto fail;
    w->mdir = g_build_filename(w->sdir, "mboxlist", NULL);
    const char *wd = ctx ? msm_ctx_work_dir(ctx) : "";
    if (wd && *wd && !(ctx && msm_ctx_dry_run(ctx)))
        w->undo = g_build_filename(wd, UNDO_DIR, NULL);
    if ((w->parts = partitions_load(w->sdir, error)) == NULL || !adopt_setup(w, ctx, error) ||
        !stage_adopt_setup(w, ctx, root, version, error))
        goto fail;
    if (!env_open(w->mdir, &w->env, w->db, error) || !ensure_version(w, error))
        goto fail;
    return w;
fail:
    writer_close(w);
    return NULL;
}

/* TRUE if a file name in a folder directory is one of the folder's own files. */
static gboolean
is_content_file(const char *n)
{
    if (strcmp(n, "store.idx") == 0 || strcmp(n, "store.idx.tmp") == 0 ||
        strcmp(n, "store.exp") == 0 || strcmp(n, "store.cache") == 0)
        return TRUE;
    const char *p = n;
    while (g_ascii_isdigit(*p))
        p++;
    return p != n && (strcmp(p, ".msg") == 0 || strcmp(p, ".msg.tmp") == 0);
}

/* Moves (to != NULL) or deletes the folder's own files in dir (not subfolders). */
static gboolean
clear_folder_files(const char *dir, const char *to, GError **error)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return TRUE;
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot list %s: %s", dir, g_strerror(e));
        return FALSE;
    }
    gboolean ok = TRUE;
    struct dirent *de;
    while (ok && (de = readdir(d)) != NULL) {
        if (!is_content_file(de->d_name))
            continue;
        char *p = g_build_filename(dir, de->d_name, NULL);
        if (to) {
            char *q = g_build_filename(to, de->d_name, NULL);
            if (g_file_test(q, G_FILE_TEST_EXISTS) ? unlink(p) != 0 : rename(p, q) != 0) {
                int e = errno;
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                            "cannot move %s to %s (the run's work directory must be on the "
                            "target's file system): %s",
                            p, q, g_strerror(e));
                ok = FALSE;
            }
            g_free(q);
        } else if (unlink(p) != 0 && errno != ENOENT) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot remove %s: %s", p, g_strerror(e));
            ok = FALSE;
        }
        g_free(p);
    }
    closedir(d);
    return ok;
}

/* Whether dir holds any of a folder's own files. */
static gboolean
has_folder_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return FALSE;
    gboolean found = FALSE;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        found = is_content_file(de->d_name);
    closedir(d);
    return found;
}

/* Writes a small undo file atomically (temporary + rename). Not fsynced here: a
 * killed process loses nothing from the page cache, and writer_commit syncs the
 * file system before the journal counts anything as durable. */
static gboolean
write_small(const char *path, const void *data, gsize len, GError **error)
{
    char *tmp = g_strconcat(path, ".tmp", NULL);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    gboolean ok = fd >= 0;
    const guint8 *p = data;
    gsize done = 0;
    while (ok && done < len) {
        ssize_t k = write(fd, p + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        ok = k > 0;
        done += ok ? (gsize)k : 0;
    }
    if (fd >= 0 && close(fd) != 0)
        ok = FALSE;
    if (ok && rename(tmp, path) != 0)
        ok = FALSE;
    if (!ok) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(e));
        unlink(tmp);
    }
    g_free(tmp);
    return ok;
}

/* Hex of bytes. (transfer full) */
static char *
hex_of(const guint8 *p, gsize n)
{
    static const char hx[] = "0123456789abcdef";
    char *s = g_malloc(2 * n + 1);
    for (gsize i = 0; i < n; i++) {
        s[2 * i] = hx[p[i] >> 4];
        s[2 * i + 1] = hx[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

/* Bytes of a hex string, or NULL if it is not one. (transfer full) */
static GBytes *
unhex(const char *s)
{
    gsize n = s ? strlen(s) : 0;
    if (s == NULL || n % 2)
        return NULL;
    guint8 *b = g_malloc(n / 2 + 1);
    for (gsize i = 0; i < n / 2; i++) {
        int hi = g_ascii_xdigit_value(s[2 * i]), lo = g_ascii_xdigit_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            g_free(b);
            return NULL;
        }
        b[i] = (guint8)(hi * 16 + lo);
    }
    return g_bytes_new_take(b, n / 2);
}

/* The undo record of a key: <undo>/<prefix><SHA-256 hex>. (transfer full) */
static char *
undo_entry(const Writer *w, const char *prefix, const char *key)
{
    char *h = msm_sha256_hex(key, strlen(key));
    char *n = g_strconcat(prefix, h, NULL);
    char *p = g_build_filename(w->undo, n, NULL);
    g_free(n);
    g_free(h);
    return p;
}

/* Puts the old value of one record into meta as key name ("-" when absent). */
static gboolean
save_record(DB *db, const void *k, gsize kl, GKeyFile *meta, const char *name, GError **error)
{
    guint8 *v;
    gsize n;
    if (!db_lookup(db, NULL, k, kl, &v, &n, name, error))
        return FALSE;
    char *h = v ? hex_of(v, n) : g_strdup("-");
    g_key_file_set_string(meta, "undo", name, h);
    g_free(h);
    free(v);
    return TRUE;
}

/* Writes meta to path (temporary + rename). */
static gboolean
write_meta(GKeyFile *meta, const char *path, GError **error)
{
    gsize n;
    char *data = g_key_file_to_data(meta, &n, NULL);
    gboolean ok = write_small(path, data, n, error);
    g_free(data);
    return ok;
}

/* Loads an undo record, or NULL when it is missing or unreadable. */
static GKeyFile *
load_meta(const char *path)
{
    GKeyFile *kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        g_clear_pointer(&kf, g_key_file_free);
    return kf;
}

/* Sets the record's state and writes it. */
static gboolean
set_state(GKeyFile *meta, const char *path, const char *state, GError **error)
{
    g_key_file_set_string(meta, "undo", "state", state);
    return write_meta(meta, path, error);
}

/* First touch of a folder in this run: records the old state; later touches
 * (a resumed run) only delete what this run wrote. Called without the lock
 * held; takes it for the database reads. */
static gboolean
prepare_folder(Writer *w, const char *ikey, const GByteArray *fk, const char *dir,
               GError **error)
{
    if (w->undo == NULL)
        return clear_folder_files(dir, NULL, error);
    char *up = undo_entry(w, "f-", ikey);
    char *files = g_strconcat(up, ".files", NULL);
    GKeyFile *meta = load_meta(up);
    gboolean ok = TRUE, fresh = FALSE;
    if (meta == NULL) {
        meta = g_key_file_new();
        char *dk = hex_of(fk->data, fk->len);
        g_key_file_set_string(meta, "undo", "key", ikey);
        g_key_file_set_string(meta, "undo", "dbkey", dk);
        g_key_file_set_string(meta, "undo", "path", dir);
        g_free(dk);
        ok = undo_dir(w, error);
        if (ok) {
            g_mutex_lock(&w->lock);
            ok = save_record(w->db[DB_FOLDER], fk->data, fk->len, meta, "folder", error);
            g_mutex_unlock(&w->lock);
        }
        gboolean had = has_folder_files(dir);
        ok = ok && set_state(meta, up, had ? "replacing" : "created", error);
        fresh = !had; /* nothing of the folder's in dir: nothing to clear */
    }
    char *state = g_key_file_get_string(meta, "undo", "state", NULL);
    if (ok && g_strcmp0(state, "replacing") == 0) {
        ok = msm_mkdir_p(files, TRUE, error) && clear_folder_files(dir, files, error) &&
             set_state(meta, up, "replaced", error);
    } else if (ok && !fresh) {
        ok = clear_folder_files(dir, NULL, error);
    }
    g_free(state);
    g_key_file_free(meta);
    g_free(files);
    g_free(up);
    return ok;
}

/* Saves the owner's quota and subscription records once per run (lock held). */
static gboolean
prepare_owner(Writer *w, const char *owner, GError **error)
{
    if (w->undo == NULL)
        return TRUE;
    char *up = undo_entry(w, "o-", owner);
    gboolean ok = TRUE;
    if (!g_file_test(up, G_FILE_TEST_EXISTS)) {
        GKeyFile *meta = g_key_file_new();
        g_key_file_set_string(meta, "undo", "key", owner);
        ok = undo_dir(w, error) &&
             save_record(w->db[DB_QUOTA], owner, strlen(owner), meta, "quota", error) &&
             save_record(w->db[DB_SUBSCR], owner, strlen(owner), meta, "subscr", error) &&
             write_meta(meta, up, error);
        g_key_file_free(meta);
    }
    g_free(up);
    return ok;
}

/* A buffered sequential writer of store.idx. */
typedef struct {
    int fd;
    guint8 buf[65536];
    gsize n;
    gboolean failed;
    int err;
} Out;

static void
out_write(Out *o, const void *p, gsize len)
{
    const guint8 *s = p;
    while (!o->failed && len > 0) {
        if (o->n == sizeof o->buf || len >= sizeof o->buf) {
            const guint8 *src = o->n ? o->buf : s;
            gsize cnt = o->n ? o->n : len;
            gsize done = 0;
            while (done < cnt) {
                ssize_t k = write(o->fd, src + done, cnt - done);
                if (k < 0) {
                    if (errno == EINTR)
                        continue;
                    o->failed = TRUE;
                    o->err = errno;
                    return;
                }
                done += (gsize)k;
            }
            if (o->n) {
                o->n = 0;
                continue;
            }
            return;
        }
        gsize c = MIN(len, sizeof o->buf - o->n);
        memcpy(o->buf + o->n, s, c);
        o->n += c;
        s += c;
        len -= c;
    }
}

static void
out_flush(Out *o)
{
    gsize done = 0;
    while (!o->failed && done < o->n) {
        ssize_t k = write(o->fd, o->buf + done, o->n - done);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            o->failed = TRUE;
            o->err = errno;
            return;
        }
        done += (gsize)k;
    }
    o->n = 0;
}

/* Writes one message body to dir/<uid>.msg; *written_r = bytes. */
static gboolean
write_body(const char *dir, const char *ikey, MsmMessage *m, guint8 *buf, gsize bufsz,
           guint64 *written_r, GError **error)
{
    char name[32];
    g_snprintf(name, sizeof name, "%u.msg", m->uid);
    char *path = g_build_filename(dir, name, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                    "cannot create %s: %s", path, g_strerror(e));
        g_free(path);
        return FALSE;
    }
    guint64 total = 0;
    gboolean ok = TRUE;
    while (ok && m->body) {
        GError *e = NULL;
        gssize k = msm_body_read(m->body, buf, bufsz, &e);
        if (k < 0) {
            g_propagate_prefixed_error(error, e, "%s UID %u: ", ikey, m->uid);
            ok = FALSE;
            break;
        }
        if (k == 0)
            break;
        gsize done = 0;
        while (done < (gsize)k) {
            ssize_t x = write(fd, buf + done, (gsize)k - done);
            if (x < 0) {
                if (errno == EINTR)
                    continue;
                int er = errno;
                g_set_error(error, MSM_ERROR, msm_io_error_code(er),
                            "cannot write %s: %s (the run can be resumed once there is room)",
                            path, g_strerror(er));
                ok = FALSE;
                break;
            }
            done += (gsize)x;
        }
        total += (guint64)k;
    }
    if (close(fd) != 0 && ok) {
        int er = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(er));
        ok = FALSE;
    }
    if (ok && m->size >= 0 && (guint64)m->size != total) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s UID %u: the body has %" G_GUINT64_FORMAT
                    " bytes but the message says %" G_GINT64_FORMAT,
                    ikey, m->uid, total, m->size);
        ok = FALSE;
    }
    g_free(path);
    *written_r = total;
    return ok;
}

static gboolean
keyword_ok(const char *k)
{
    gsize n = k ? strlen(k) : 0;
    if (n == 0 || n > 255)
        return FALSE;
    for (const guchar *p = (const guchar *)k; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return FALSE;
    return TRUE;
}

/* In-place reuse: adopts the message file of a body that is a regular file below
 * one of the reused NMS 4.x partitions, of the message's size: dir/<uid>.msg becomes
 * a hard link of it (no byte is copied; the 4.x file stays as it is), then the body
 * is read through without writing (the run's digest sees every byte) and its size
 * checked. Any other body is written by write_body(). */
static gboolean
adopt_body(Writer *w, const char *dir, const char *ikey, MsmMessage *m, guint8 *buf,
           gsize bufsz, guint64 *written_r, GError **error)
{
    const char *src = m->body ? msm_body_source_path(m->body) : NULL;
    gboolean inside = FALSE;
    GHashTableIter hi;
    gpointer k, v;
    g_hash_table_iter_init(&hi, w->adopt);
    while (src && !inside && g_hash_table_iter_next(&hi, &k, &v)) {
        gsize n = strlen(v);
        inside = strncmp(src, v, n) == 0 && src[n] == '/';
    }
    struct stat st;
    if (!inside || lstat(src, &st) != 0 || !S_ISREG(st.st_mode) ||
        (m->size >= 0 && st.st_size != m->size))
        return write_body(dir, ikey, m, buf, bufsz, written_r, error);
    char name[32];
    g_snprintf(name, sizeof name, "%u.msg", m->uid);
    char *path = g_build_filename(dir, name, NULL);
    int rc = linkat(AT_FDCWD, src, AT_FDCWD, path, 0);
    if (rc != 0 && errno == EEXIST && unlink(path) == 0)
        rc = linkat(AT_FDCWD, src, AT_FDCWD, path, 0);
    if (rc != 0) {
        int e = errno;
        if (e == EXDEV)
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                        "%s UID %u: cannot hard-link %s to %s: they are on different file "
                        "systems (EXDEV); in-place reuse cannot adopt it: migrate the store by "
                        "copy ([store] nms4-reuse = copy, or --store-reuse copy)",
                        ikey, m->uid, src, path);
        else
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                        "%s UID %u: cannot hard-link %s to %s: %s (the run can be resumed once "
                        "fixed)",
                        ikey, m->uid, src, path, g_strerror(e));
        g_free(path);
        return FALSE;
    }
    guint64 total = 0;
    gboolean ok = TRUE;
    for (;;) {
        GError *e = NULL;
        gssize n = msm_body_read(m->body, buf, bufsz, &e);
        if (n < 0) {
            g_propagate_prefixed_error(error, e, "%s UID %u: ", ikey, m->uid);
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        total += (guint64)n;
    }
    if (ok && m->size >= 0 && (guint64)m->size != total) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s UID %u: the body has %" G_GUINT64_FORMAT
                    " bytes but the message says %" G_GINT64_FORMAT,
                    ikey, m->uid, total, m->size);
        ok = FALSE;
    }
    if (!ok)
        unlink(path);
    g_free(path);
    *written_r = total;
    return ok;
}

/* In-place reuse: refuses a folder whose directory would fall into a 4.x message or
 * staging directory of the shared partition: by name (msm_core_nms4_reuse_check_folder)
 * and by content: a store.idx in dir that is not a classic index (no "MSIX" magic) is
 * another store's (a 4.x message directory), whose files a put would move away. */
static gboolean
adopt_check(Writer *w, const char *owner, const char *folder, const char *part, const char *rel,
            const char *dir, GError **error)
{
    const char *pd = w->adopt ? g_hash_table_lookup(w->adopt, part) : NULL;
    if (pd == NULL)
        return TRUE;
    char *h = msm_classic_store_hash_dir(owner);
    gboolean ok = msm_core_nms4_reuse_check_folder(owner, folder, h, rel, pd, error);
    g_free(h);
    char *idx = g_build_filename(dir, "store.idx", NULL);
    int fd = ok ? open(idx, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    char magic[4];
    if (fd >= 0 && (read(fd, magic, 4) != 4 || memcmp(magic, IDX_MAGIC, 4) != 0)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "folder user/%s/%s: its 5.2 directory %s already holds another store's "
                    "index (%s is not a 5.2 store.idx: an NMS 4.x message directory?) in the "
                    "partition shared with the 4.x store; in-place reuse would move those files: "
                    "migrate the store by copy ([store] nms4-reuse = copy, or --store-reuse copy)",
                    owner, folder, dir, idx);
        ok = FALSE;
    }
    if (fd >= 0)
        close(fd);
    g_free(idx);
    return ok;
}

/* reconstruct -q for one owner (runs from NMS 4.x, seed 003): the owner's used bytes
 * in quota.db become the sum of the byte totals of its folder.db records, in one
 * transaction. Lock held. */
static gboolean
recompute_used(Writer *w, const char *owner, GError **error)
{
    GByteArray *prefix = g_byte_array_new();
    if (w->gen == 1) {
        g_byte_array_append(prefix, (const guint8 *)"user/", 5);
        g_byte_array_append(prefix, (const guint8 *)owner, (guint)strlen(owner));
        g_byte_array_append(prefix, (const guint8 *)"/", 1);
    } else {
        g_byte_array_append(prefix, (const guint8 *)owner, (guint)strlen(owner) + 1);
    }
    DB_TXN *txn = NULL;
    DBC *c = NULL;
    guint64 sum = 0;
    int rc = w->env->txn_begin(w->env, NULL, &txn, 0);
    if (rc == 0)
        rc = w->db[DB_FOLDER]->cursor(w->db[DB_FOLDER], txn, &c, 0);
    if (rc == 0) {
        DBT key, data;
        memset(&key, 0, sizeof key);
        memset(&data, 0, sizeof data);
        key.data = prefix->data;
        key.size = prefix->len;
        key.flags = data.flags = DB_DBT_MALLOC;
        rc = c->get(c, &key, &data, DB_SET_RANGE);
        while (rc == 0) {
            gboolean mine =
                key.size >= prefix->len && memcmp(key.data, prefix->data, prefix->len) == 0;
            FolderRec r;
            if (mine && folder_rec_decode(w->gen, data.data, data.size, "", &r, NULL)) {
                sum += r.bytes;
                folder_rec_clear(&r);
            }
            free(key.data);
            free(data.data);
            if (!mine)
                break;
            memset(&key, 0, sizeof key);
            memset(&data, 0, sizeof data);
            key.flags = data.flags = DB_DBT_MALLOC;
            rc = c->get(c, &key, &data, DB_NEXT);
        }
        if (rc == DB_NOTFOUND)
            rc = 0;
        int rc2 = c->close(c);
        if (rc == 0)
            rc = rc2;
    }
    guint8 *old = NULL;
    gsize ol = 0;
    gboolean ok = rc == 0 && db_lookup(w->db[DB_QUOTA], txn, owner, strlen(owner), &old, &ol,
                                       "quota.db", error);
    if (ok) {
        MsmOwner *o = msm_owner_new(owner);
        if (old == NULL || !quota_decode(w->gen, old, ol, o))
            o->quota_bytes = o->quota_messages = -1;
        o->used_bytes = (gint64)sum;
        GByteArray *q = quota_encode(w->gen, o);
        rc = db_store(w->db[DB_QUOTA], txn, owner, strlen(owner), q->data, q->len);
        g_byte_array_unref(q);
        msm_owner_free(o);
    }
    free(old);
    if (txn) {
        if (ok && rc == 0)
            rc = txn->commit(txn, 0);
        else
            txn->abort(txn);
    }
    if (ok && rc != 0) {
        set_db_error(error, rc, "cannot recompute the used bytes of", owner);
        ok = FALSE;
    } else if (!ok && error && *error == NULL) {
        set_db_error(error, rc, "cannot recompute the used bytes of", owner);
    }
    g_byte_array_unref(prefix);
    return ok;
}

/* Writes the messages and store.idx of a folder into dir. */
static gboolean
write_folder_files(Writer *w, const char *ikey, MsmFolder *f, const char *dir, FolderRec *rec,
                   GError **error)
{
    char *tmp = g_build_filename(dir, "store.idx.tmp", NULL);
    char *idx = g_build_filename(dir, "store.idx", NULL);
    Out *o = g_new0(Out, 1);
    o->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (o->fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                    "cannot create %s: %s", tmp, g_strerror(e));
        g_free(o);
        g_free(tmp);
        g_free(idx);
        return FALSE;
    }
    guint8 header[IDX_HEADER];
    memset(header, 0, sizeof header);
    out_write(o, header, sizeof header);
    GHashTable *kwi = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *kws = g_ptr_array_new_with_free_func(g_free);
    guint maxkw = w->gen == 3 ? 64 : 32;
    guint64 gid = 14695981039346656037ull;
    for (const char *p = ikey; *p; p++)
        gid = (gid ^ (guchar)*p) * 1099511628211ull;
    gsize bufsz = 256 * 1024;
    guint8 *buf = g_malloc(bufsz);
    guint32 last = 0, count = 0;
    guint64 bytes = 0;
    gboolean ok = TRUE;
    while (ok && f->messages) {
        MsmMessage *m = NULL;
        if (!msm_message_iter_next(f->messages, &m, error)) {
            ok = FALSE;
            break;
        }
        if (m == NULL)
            break;
        guint64 kw = 0;
        if (m->uid == 0 || m->uid <= last) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "%s: message UID %u after UID %u: UIDs must be positive and increasing",
                        ikey, m->uid, last);
            ok = FALSE;
        }
        for (guint i = 0; ok && m->keywords && i < m->keywords->len; i++) {
            const char *k = m->keywords->pdata[i];
            gpointer idxp;
            if (!keyword_ok(k)) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "%s UID %u: keyword \"%s\" is not an IMAP atom", ikey, m->uid, k);
                ok = FALSE;
            } else if (g_hash_table_lookup_extended(kwi, k, NULL, &idxp)) {
                kw |= (guint64)1 << GPOINTER_TO_UINT(idxp);
            } else if (kws->len >= maxkw) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "%s: more than %u distinct keywords, which %s cannot hold", ikey,
                            maxkw, gen_names[w->gen]);
                ok = FALSE;
            } else {
                char *dup = g_strdup(k);
                g_ptr_array_add(kws, dup);
                g_hash_table_insert(kwi, dup, GUINT_TO_POINTER(kws->len - 1));
                kw |= (guint64)1 << (kws->len - 1);
            }
        }
        guint64 written = 0;
        ok = ok && (w->adopt ? adopt_body(w, dir, ikey, m, buf, bufsz, &written, error)
                             : write_body(dir, ikey, m, buf, bufsz, &written, error));
        if (ok) {
            guint8 r[IDX_REC_V2];
            guint8 *p;
            put_be32(r, m->uid);
            put_be32(r + 4, m->flags & 0x3fu);
            if (w->gen == 3) {
                put_be64(r + 8, kw);
                p = r + 16;
            } else {
                put_be32(r + 8, (guint32)kw);
                p = r + 12;
            }
            put_be64(p, (guint64)m->internal_date);
            put_be64(p + 8, written);
            if (w->gen == 3) {
                put_be64(p + 16, m->uid); /* modseq */
                put_be32(p + 24, f->uidvalidity);
                put_be32(p + 28, m->uid);
                put_be64(p + 32, gid);
            }
            out_write(o, r, w->gen == 3 ? IDX_REC_V2 : IDX_REC_V1);
            last = m->uid;
            count++;
            bytes += written;
        }
        msm_message_free(m);
    }
    g_free(buf);
    guint64 kwoff = IDX_HEADER + (guint64)count * (w->gen == 3 ? IDX_REC_V2 : IDX_REC_V1);
    for (guint i = 0; ok && i < kws->len; i++) {
        const char *k = kws->pdata[i];
        guint8 l[2] = {(guint8)(strlen(k) >> 8), (guint8)strlen(k)};
        out_write(o, l, 2);
        out_write(o, k, strlen(k));
    }
    guint32 uidnext = MAX(f->uidnext, last + 1);
    memcpy(header, IDX_MAGIC, 4);
    header[5] = w->gen == 3 ? 2 : 1;
    header[7] = w->gen == 3 ? IDX_REC_V2 : IDX_REC_V1;
    put_be32(header + 8, f->uidvalidity);
    put_be32(header + 12, uidnext);
    put_be32(header + 16, count);
    put_be64(header + 20, bytes);
    put_be64(header + 28, kwoff);
    put_be32(header + 36, kws->len);
    out_flush(o);
    if (ok && !o->failed && pwrite(o->fd, header, sizeof header, 0) != (ssize_t)sizeof header) {
        o->failed = TRUE;
        o->err = errno;
    }
    if (close(o->fd) != 0 && !o->failed) {
        o->failed = TRUE;
        o->err = errno;
    }
    if (ok && o->failed) {
        g_set_error(error, MSM_ERROR, msm_io_error_code(o->err),
                    "cannot write %s: %s (the run can be resumed once there is room)", tmp,
                    g_strerror(o->err));
        ok = FALSE;
    }
    if (ok && rename(tmp, idx) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot rename %s to %s: %s", tmp, idx,
                    g_strerror(e));
        ok = FALSE;
    }
    if (!ok)
        unlink(tmp);
    rec->uidvalidity = f->uidvalidity;
    rec->uidnext = uidnext;
    rec->count = count;
    rec->bytes = bytes;
    g_hash_table_destroy(kwi);
    g_ptr_array_unref(kws);
    g_free(o);
    g_free(tmp);
    g_free(idx);
    return ok;
}

/* Replaces the folder's records in one transaction (lock held). */
static gboolean
update_databases(Writer *w, const MsmOwner *o, const GByteArray *fk, const FolderRec *rec,
                 const char *ikey, GError **error)
{
    GByteArray *val = folder_rec_encode(w->gen, rec);
    GByteArray *quota = quota_encode(w->gen, o);
    GByteArray *subs = subscr_encode(w->gen, o, error);
    gboolean ok = subs != NULL && prepare_owner(w, o->user, error);
    DB_TXN *txn = NULL;
    int rc = 0;
    if (ok)
        rc = w->env->txn_begin(w->env, NULL, &txn, 0);
    if (ok && rc == 0) {
        guint8 *old;
        gsize ol;
        GError *e = NULL;
        FolderRec orec;
        if (!db_lookup(w->db[DB_FOLDER], txn, fk->data, fk->len, &old, &ol, "folder.db", error))
            ok = FALSE;
        else if (old && folder_rec_decode(w->gen, old, ol, ikey, &orec, &e)) {
            rc = lright_apply(w->db[DB_LRIGHT], txn, orec.acl, fk, TRUE);
            folder_rec_clear(&orec);
        }
        g_clear_error(&e);
        free(old);
        if (ok && rc == 0)
            rc = db_store(w->db[DB_FOLDER], txn, fk->data, fk->len, val->data, val->len);
        if (ok && rc == 0)
            rc = lright_apply(w->db[DB_LRIGHT], txn, rec->acl, fk, FALSE);
        if (ok && rc == 0)
            rc = db_store(w->db[DB_QUOTA], txn, o->user, strlen(o->user), quota->data,
                          quota->len);
        if (ok && rc == 0)
            rc = db_store(w->db[DB_SUBSCR], txn, o->user, strlen(o->user), subs->data,
                          subs->len);
        if (ok && rc == 0)
            rc = txn->commit(txn, 0);
        else
            txn->abort(txn);
    }
    if (ok && rc != 0) {
        set_db_error(error, rc, "cannot update the records of", ikey);
        ok = FALSE;
    }
    g_byte_array_unref(val);
    g_byte_array_unref(quota);
    if (subs)
        g_byte_array_unref(subs);
    return ok;
}

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    Writer *w = writer;
    if (item == NULL || item->kind != MSM_KIND_STORE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the classic-store writer was given %s item %s: only folders can be written",
                    item ? msm_kind_name(item->kind) : "no", item && item->key ? item->key : "");
        return FALSE;
    }
    MsmFolder *f = item->payload;
    MsmOwner *o = f->owner;
    const char *part = o && o->partition ? o->partition : "primary";
    if (o == NULL || !owner_is_safe(o->user)) {
        char *shown = o && o->user ? g_strescape(o->user, NULL) : g_strdup("(none)");
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing folder %s: owner \"%s\" is not one safe directory name (empty, "
                    "longer than 255 bytes, not UTF-8, a leading '.', '/', '\\' or a control "
                    "character)",
                    item->key, shown);
        g_free(shown);
        return FALSE;
    }
    if (!partition_is_safe(part)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing folder %s: partition nickname \"%s\" is not [A-Za-z0-9_-]{1,64}",
                    item->key, part);
        return FALSE;
    }
    for (guint i = 0; i < f->acl->len; i++) {
        MsmAce *a = f->acl->pdata[i];
        if (!ident_ok(a->identifier) || !rights_ok(a->rights) ||
            (w->gen == 1 && strchr(a->identifier, '\t'))) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "folder %s: ACL entry \"%s\" \"%s\" cannot be stored (identifier with "
                        "control characters, rights not letters)",
                        item->key, a->identifier, a->rights);
            return FALSE;
        }
    }
    char *rel = msm_classic_store_folder_relpath(f->name, error);
    if (rel == NULL) {
        g_prefix_error(error, "folder %s: ", item->key);
        return FALSE;
    }
    char *ikey = g_strdup_printf("user/%s/%s", o->user, f->name);
    GByteArray *fk = folder_key(w->gen, o->user, f->name, error);
    char *anchor = NULL;
    char *dir = part_folder_dir(w->sdir, w->parts, part, o->user, rel, &anchor);
    FolderRec rec = {0};
    gboolean ok = fk != NULL && adopt_check(w, o->user, f->name, part, rel, dir, error) &&
                  walk_dirs(anchor, dir, TRUE, error) &&
                  prepare_folder(w, ikey, fk, dir, error) &&
                  write_folder_files(w, ikey, f, dir, &rec, error);
    if (ok) {
        rec.partition = g_strdup(part);
        rec.acl = g_ptr_array_ref(f->acl);
        g_mutex_lock(&w->lock);
        ok = update_databases(w, o, fk, &rec, ikey, error) &&
             (!w->nms_quota || recompute_used(w, o->user, error));
        g_mutex_unlock(&w->lock);
        folder_rec_clear(&rec);
    }
    if (fk)
        g_byte_array_unref(fk);
    g_free(anchor);
    g_free(dir);
    g_free(ikey);
    g_free(rel);
    return ok;
}

static gboolean
writer_commit(gpointer writer, GError **error)
{
    Writer *w = writer;
    g_mutex_lock(&w->lock);
    gboolean ok = env_sync(w->env, w->mdir, error);
    g_mutex_unlock(&w->lock);
    if (ok) {
        int fd = open(w->sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || syncfs(fd) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot sync %s: %s", w->sdir,
                        g_strerror(e));
            ok = FALSE;
        }
        if (fd >= 0)
            close(fd);
    }
    return ok;
}

/* ====================================================================== */
/* rollback                                                               */
/* ====================================================================== */

static gboolean
remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *n;
        while ((n = g_dir_read_name(d)) != NULL) {
            char *p = g_build_filename(path, n, NULL);
            if (msm_is_real_dir(p))
                remove_tree(p);
            else
                unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    return rmdir(path) == 0 || errno == ENOENT;
}

/* Restores one record from meta's value name (hex), or deletes it ("-"). */
static int
restore_record(DB *db, DB_TXN *txn, const void *k, gsize kl, GBytes *old)
{
    if (old == NULL)
        return db_remove(db, txn, k, kl);
    gsize n;
    const void *d = g_bytes_get_data(old, &n);
    return db_store(db, txn, k, kl, d, n);
}

/* The saved record name of meta: TRUE with *old_r (NULL = absent) or FALSE if damaged. */
static gboolean
meta_record(GKeyFile *meta, const char *name, GBytes **old_r)
{
    char *v = g_key_file_get_string(meta, "undo", name, NULL);
    *old_r = NULL;
    gboolean ok = v != NULL;
    if (ok && strcmp(v, "-") != 0)
        ok = (*old_r = unhex(v)) != NULL;
    g_free(v);
    return ok;
}

/* The directory a folder directory of this store lies in: the store directory, or a
 * partition directory partitions.conf names (the bound of rollback's rmdir), or NULL.
 * (transfer none) */
static const char *
store_bound(Writer *w, const char *dir)
{
    gsize n = strlen(w->sdir);
    if (strncmp(dir, w->sdir, n) == 0 && dir[n] == '/')
        return w->sdir;
    GHashTableIter hi;
    gpointer k, v;
    g_hash_table_iter_init(&hi, w->parts);
    while (g_hash_table_iter_next(&hi, &k, &v)) {
        n = strlen(v);
        if (strncmp(dir, v, n) == 0 && dir[n] == '/')
            return v;
    }
    return NULL;
}

/* Puts back the partitions.conf an in-place reuse replaced (PARTITIONS_UNDO). */
static gboolean
rollback_partitions(Writer *w, const char *undo, GError **error)
{
    char *up = g_build_filename(undo, PARTITIONS_UNDO, NULL);
    GKeyFile *meta = load_meta(up);
    GBytes *old = NULL;
    gboolean ok = TRUE;
    if (meta && !meta_record(meta, "conf", &old)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "undo record %s is damaged; restore %s/" PARTITIONS_CONF " by hand", up,
                    w->sdir);
        ok = FALSE;
    } else if (meta) {
        char *conf = g_build_filename(w->sdir, PARTITIONS_CONF, NULL);
        if (old) {
            gsize n;
            const void *d = g_bytes_get_data(old, &n);
            ok = msm_write_file_atomic(conf, d, n, 0644, error);
        } else if (unlink(conf) != 0 && errno != ENOENT) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot remove %s: %s", conf,
                        g_strerror(e));
            ok = FALSE;
        }
        g_free(conf);
    }
    if (ok)
        unlink(up);
    if (old)
        g_bytes_unref(old);
    if (meta)
        g_key_file_free(meta);
    g_free(up);
    return ok;
}

/* Undoes one folder record (the file up, the old files in up.files/). */
static gboolean
rollback_folder(Writer *w, const char *up, GError **error)
{
    GKeyFile *meta = load_meta(up);
    char *files = g_strconcat(up, ".files", NULL);
    if (meta == NULL) { /* unreadable: never written completely, nothing was touched */
        gboolean ok = unlink(up) == 0 || errno == ENOENT;
        g_free(files);
        return ok;
    }
    char *dir = g_key_file_get_string(meta, "undo", "path", NULL);
    char *dk = g_key_file_get_string(meta, "undo", "dbkey", NULL);
    char *state = g_key_file_get_string(meta, "undo", "state", NULL);
    GBytes *dbkey = unhex(dk), *old = NULL;
    gboolean ok = TRUE;
    const char *bound = dir ? store_bound(w, dir) : NULL;
    if (dir == NULL || dbkey == NULL || state == NULL || !meta_record(meta, "folder", &old) ||
        bound == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "undo record %s is damaged (or names a folder outside %s); remove it by hand "
                    "after checking the folder",
                    up, w->sdir);
        ok = FALSE;
        goto out;
    }
    gboolean restoring = strcmp(state, "restoring") == 0;
    gboolean created = strcmp(state, "created") == 0;
    if (!restoring)
        ok = clear_folder_files(dir, NULL, error) &&
             (created || set_state(meta, up, "restoring", error));
    if (ok && !created && msm_is_real_dir(files)) {
        GDir *d = g_dir_open(files, 0, NULL);
        const char *n;
        while (ok && d && (n = g_dir_read_name(d)) != NULL) {
            char *from = g_build_filename(files, n, NULL);
            char *to = g_build_filename(dir, n, NULL);
            if (rename(from, to) != 0) {
                int e = errno;
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot restore %s to %s: %s", from,
                            to, g_strerror(e));
                ok = FALSE;
            }
            g_free(from);
            g_free(to);
        }
        if (d)
            g_dir_close(d);
    }
    if (ok) {
        gsize kl;
        const guint8 *k = g_bytes_get_data(dbkey, &kl);
        GByteArray *fk = g_byte_array_new();
        g_byte_array_append(fk, k, (guint)kl);
        DB_TXN *txn = NULL;
        int rc = w->env->txn_begin(w->env, NULL, &txn, 0);
        if (rc == 0) {
            guint8 *cur = NULL;
            gsize cl;
            FolderRec r;
            if (db_lookup(w->db[DB_FOLDER], txn, k, kl, &cur, &cl, "folder.db", NULL) && cur &&
                folder_rec_decode(w->gen, cur, cl, "", &r, NULL)) {
                rc = lright_apply(w->db[DB_LRIGHT], txn, r.acl, fk, TRUE);
                folder_rec_clear(&r);
            }
            free(cur);
            if (rc == 0)
                rc = restore_record(w->db[DB_FOLDER], txn, k, kl, old);
            if (rc == 0 && old) {
                gsize n;
                const guint8 *v = g_bytes_get_data(old, &n);
                if (folder_rec_decode(w->gen, v, n, "", &r, NULL)) {
                    rc = lright_apply(w->db[DB_LRIGHT], txn, r.acl, fk, FALSE);
                    folder_rec_clear(&r);
                }
            }
            if (rc == 0)
                rc = txn->commit(txn, 0);
            else
                txn->abort(txn);
        }
        g_byte_array_unref(fk);
        if (rc != 0) {
            set_db_error(error, rc, "cannot restore the records in", w->mdir);
            ok = FALSE;
        }
    }
    if (ok && created) { /* remove the directories this run made, if now empty */
        char *p = g_strdup(dir);
        while (strlen(p) > strlen(bound) && rmdir(p) == 0) {
            char *parent = g_path_get_dirname(p);
            g_free(p);
            p = parent;
        }
        g_free(p);
    }
    ok = ok && remove_tree(files) && (unlink(up) == 0 || errno == ENOENT);
out:
    if (old)
        g_bytes_unref(old);
    if (dbkey)
        g_bytes_unref(dbkey);
    g_free(state);
    g_free(dk);
    g_free(dir);
    g_free(files);
    g_key_file_free(meta);
    return ok;
}

/* Undoes one owner record. */
static gboolean
rollback_owner(Writer *w, const char *ud, GError **error)
{
    GKeyFile *meta = load_meta(ud);
    if (meta == NULL)
        return unlink(ud) == 0 || errno == ENOENT;
    char *key = g_key_file_get_string(meta, "undo", "key", NULL);
    GBytes *quota = NULL, *subscr = NULL;
    int rc = 0;
    if (key == NULL || !meta_record(meta, "quota", &quota) ||
        !meta_record(meta, "subscr", &subscr)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s/meta is damaged", ud);
        rc = -1;
    } else {
        DB_TXN *txn = NULL;
        rc = w->env->txn_begin(w->env, NULL, &txn, 0);
        if (rc == 0) {
            rc = restore_record(w->db[DB_QUOTA], txn, key, strlen(key), quota);
            if (rc == 0)
                rc = restore_record(w->db[DB_SUBSCR], txn, key, strlen(key), subscr);
            if (rc == 0)
                rc = txn->commit(txn, 0);
            else
                txn->abort(txn);
        }
        if (rc != 0)
            set_db_error(error, rc, "cannot restore the quota and subscriptions in", w->mdir);
    }
    if (quota)
        g_bytes_unref(quota);
    if (subscr)
        g_bytes_unref(subscr);
    g_free(key);
    g_key_file_free(meta);
    return rc == 0 && (unlink(ud) == 0 || errno == ENOENT);
}

static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    const char *wd = msm_ctx_work_dir(ctx);
    char *undo = wd && *wd ? g_build_filename(wd, UNDO_DIR, NULL) : NULL;
    if (undo == NULL || !msm_is_real_dir(undo)) {
        g_free(undo);
        return TRUE; /* this run wrote no folder */
    }
    Writer *w = g_new0(Writer, 1);
    g_mutex_init(&w->lock);
    w->gen = msm_classic_store_generation(version);
    w->version = g_strdup(version);
    w->sdir = store_dir(ctx, root, version, error);
    gboolean ok = w->sdir != NULL && w->gen != 0;
    if (ok) {
        w->mdir = g_build_filename(w->sdir, "mboxlist", NULL);
        ok = (w->parts = partitions_load(w->sdir, error)) != NULL &&
             env_open(w->mdir, &w->env, w->db, error);
    }
    GDir *d = ok ? g_dir_open(undo, 0, NULL) : NULL;
    const char *n;
    while (ok && d && (n = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(undo, n, NULL);
        if (g_str_has_suffix(n, ".tmp"))
            unlink(p);
        else if (g_str_has_prefix(n, "f-") && !g_str_has_suffix(n, ".files"))
            ok = rollback_folder(w, p, error);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    d = ok ? g_dir_open(undo, 0, NULL) : NULL;
    while (ok && d && (n = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(undo, n, NULL);
        if (g_str_has_prefix(n, "o-") && !g_str_has_suffix(n, ".tmp"))
            ok = rollback_owner(w, p, error);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    if (ok)
        ok = rollback_partitions(w, undo, error);
    if (ok)
        ok = env_sync(w->env, w->mdir, error);
    if (ok)
        rmdir(undo);
    writer_close(w);
    g_free(undo);
    return ok;
}

static const MsmCodec classic_store_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "classic-store",
    .kind = MSM_KIND_STORE,
    .versions = classic_versions,
    .flags = MSM_CODEC_THREADSAFE,
    .reader_open = reader_open,
    .reader_next = reader_next,
    .reader_close = reader_close,
    .writer_open = writer_open,
    .writer_put = writer_put,
    .writer_commit = writer_commit,
    .writer_close = writer_close,
    .reader_estimate = reader_estimate,
    .rollback = rollback,
};

/* The codec (static). */
const MsmCodec *
msm_core_classic_store_codec(void)
{
    return &classic_store_codec;
}
