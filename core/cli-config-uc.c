/*
 * NAME
 *	cli-config-uc.c - `msmigrate config diff|toxml|fromxml`
 * SUMMARY
 *	diff: entity-level differences of two configuration trees or two files,
 *	by format identity (docs/config-merge.md "config diff"): per file the
 *	entities added, removed and changed; secrets shown only as set/equal
 *	like CHANGES files; --json; exit 0 same, 2 different, 1 error.
 *	toxml: the 7.0 -> 7.0.5 configtoxml conversion in place at ROOT
 *	(docs/uc-conversion.md): writes config.xml + restricted.cnf from
 *	msm_uc_from_legacy(), saves the absorbed legacy files byte for byte in
 *	config/legacy-config/ with a manifest
 *	(docs/formats/uc-legacy-manifest.md) and removes them from config/;
 *	--dry-run shows the plan and changes nothing.
 *	fromxml: restores the saved legacy files byte for byte (and modes) and
 *	removes what toxml wrote; refuses, unless --force, when config.xml or
 *	restricted.cnf changed since toxml (those changes would be lost).
 * DESCRIPTION
 *	Order of toxml, so that an interruption never loses a file: copies
 *	into legacy-config/ (atomic writes), the manifest, config.xml and
 *	restricted.cnf, then the originals are removed. fromxml: checks every
 *	saved copy against the manifest's SHA-256 first, writes the originals
 *	back, then removes config.xml, restricted.cnf and legacy-config/.
 *	Nothing is written outside ROOT; links are never written through.
 * DIAGNOSTICS
 *	"msmigrate: config VERB: message" on stderr naming the file and the
 *	fix; exit 1 on error or refusal (nothing changed by a refusal).
 */
#include "config.h"

#include "builtin.h"
#include "cli.h"
#include "cli-config-uc.h"
#include "detect.h"
#include "json.h"
#include "uc-convert.h"
#include "util.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/merge.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UC_MANIFEST ".msmigrate-toxml"
#define UC_MANIFEST_MAGIC "# msmigrate toxml manifest 1"
#define UC_SAVE_DIR "legacy-config"

/* ====================================================================== */
/* config diff                                                            */
/* ====================================================================== */

typedef struct {
    char *id;      /* identity: type, section, key (#n for repeats) */
    char *section;
    char *key;
    char *value;   /* NULL for sections, includes and verbatim lines */
    const char *what; /* "entry", "section", "include", "verbatim" */
} Ent;

static void
ent_free(gpointer p)
{
    Ent *e = p;
    g_free(e->id);
    g_free(e->section);
    g_free(e->key);
    g_free(e->value);
    g_free(e);
}

/* The entities of a document, in order, with their identities. (transfer full) */
static GPtrArray *
entities_of(const MsmConfDoc *doc)
{
    const MsmConfFormat *fmt = msm_confdoc_format(doc);
    GPtrArray *out = g_ptr_array_new_with_free_func(ent_free);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
        const MsmConfNode *n = msm_confdoc_node(doc, i);
        const char *what = NULL;
        char *key = NULL;
        switch (n->type) {
        case MSM_CONF_ENTRY:
            what = "entry";
            key = g_strdup(n->key);
            break;
        case MSM_CONF_SECTION:
            if (n->nlines == 0)
                continue; /* position markers (imta.cnf) */
            what = "section";
            key = g_strdup(n->key);
            break;
        case MSM_CONF_INCLUDE:
            what = "include";
            key = g_strdup(n->key);
            break;
        case MSM_CONF_VERBATIM: {
            what = "verbatim";
            key = g_strndup(n->raw->str, n->raw->len);
            g_strstrip(key);
            break;
        }
        default:
            continue;
        }
        char *base = g_strdup_printf("%s\x1f%s\x1f%s", what, n->section ? n->section : "",
                                     key ? key : "");
        if (fmt->keys_case_insensitive) {
            char *f = g_ascii_strdown(base, -1);
            g_free(base);
            base = f;
        }
        guint c = GPOINTER_TO_UINT(g_hash_table_lookup(seen, base)) + 1;
        g_hash_table_replace(seen, g_strdup(base), GUINT_TO_POINTER(c));
        Ent *e = g_new0(Ent, 1);
        e->id = c == 1 ? g_strdup(base) : g_strdup_printf("%s#%u", base, c);
        e->section = g_strdup(n->section ? n->section : "");
        e->key = key;
        e->value = n->type == MSM_CONF_ENTRY ? g_strdup(n->value ? n->value : "") : NULL;
        e->what = what;
        g_ptr_array_add(out, e);
        g_free(base);
    }
    g_hash_table_unref(seen);
    return out;
}

typedef struct {
    char *path;
    const char *status; /* "added", "removed", "changed" */
    const char *format; /* NULL: compared as bytes */
    GPtrArray *lines;   /* Change* */
} FileDiff;

typedef struct {
    const char *change; /* "added", "removed", "changed" */
    const char *what;
    char *section, *key;
    char *old_v, *new_v; /* shown values (secrets replaced) or NULL */
} Change;

static void
change_free(gpointer p)
{
    Change *c = p;
    g_free(c->section);
    g_free(c->key);
    g_free(c->old_v);
    g_free(c->new_v);
    g_free(c);
}

static void
file_diff_free(gpointer p)
{
    FileDiff *d = p;
    g_free(d->path);
    g_ptr_array_unref(d->lines);
    g_free(d);
}

/* The shown form of a value: secrets never shown, only set / same / changed. */
static char *
shown(const char *key, const char *value, const char *other, gboolean is_new)
{
    if (value == NULL)
        return NULL;
    if (!msm_merge_key_is_secret(key))
        return g_strdup(value);
    if (*value == '\0')
        return g_strdup("(secret, empty)");
    if (other == NULL)
        return g_strdup("(secret, set)");
    if (strcmp(value, other) == 0)
        return g_strdup("(secret, equal)");
    return g_strdup(is_new ? "(secret, changed)" : "(secret, set)");
}

static Change *
change_new(const char *change, const Ent *e)
{
    Change *c = g_new0(Change, 1);
    c->change = change;
    c->what = e->what;
    c->section = g_strdup(e->section);
    c->key = g_strdup(e->key);
    return c;
}

/* Compares two documents entity by entity into d->lines. */
static void
diff_docs(FileDiff *d, const MsmConfDoc *a, const MsmConfDoc *b)
{
    GPtrArray *ea = entities_of(a), *eb = entities_of(b);
    GHashTable *ib = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *ia = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < eb->len; i++)
        g_hash_table_insert(ib, ((Ent *)eb->pdata[i])->id, eb->pdata[i]);
    for (guint i = 0; i < ea->len; i++)
        g_hash_table_insert(ia, ((Ent *)ea->pdata[i])->id, ea->pdata[i]);
    for (guint i = 0; i < ea->len; i++) {
        const Ent *x = ea->pdata[i];
        const Ent *y = g_hash_table_lookup(ib, x->id);
        if (y == NULL) {
            Change *c = change_new("removed", x);
            c->old_v = shown(x->key, x->value, NULL, FALSE);
            g_ptr_array_add(d->lines, c);
        } else if (g_strcmp0(x->value, y->value) != 0) {
            Change *c = change_new("changed", y);
            c->old_v = shown(x->key, x->value, y->value, FALSE);
            c->new_v = shown(y->key, y->value, x->value, TRUE);
            g_ptr_array_add(d->lines, c);
        }
    }
    for (guint i = 0; i < eb->len; i++) {
        const Ent *y = eb->pdata[i];
        if (g_hash_table_lookup(ia, y->id) == NULL) {
            Change *c = change_new("added", y);
            c->new_v = shown(y->key, y->value, NULL, TRUE);
            g_ptr_array_add(d->lines, c);
        }
    }
    g_hash_table_unref(ia);
    g_hash_table_unref(ib);
    g_ptr_array_unref(ea);
    g_ptr_array_unref(eb);
}

static gboolean
read_file(const char *path, char **data, gsize *len, GError **error)
{
    GError *e = NULL;
    if (!g_file_get_contents(path, data, len, &e)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", path, e->message);
        g_error_free(e);
        return FALSE;
    }
    return TRUE;
}

/* The format of a file by its base name; "imta.cnf.MERGED" is read as imta.cnf. */
static const MsmConfFormat *
format_for(const char *rel)
{
    const MsmConfFormat *f = msm_conf_format_for_file(rel);
    if (f == NULL && g_str_has_suffix(rel, ".MERGED")) {
        char *cut = g_strndup(rel, strlen(rel) - strlen(".MERGED"));
        f = msm_conf_format_for_file(cut);
        g_free(cut);
    }
    return f;
}

/* Compares two files (either may be NULL: absent). NULL result: no difference. */
static FileDiff *
diff_files(const char *rel, const char *pa, const char *pb, GError **error)
{
    FileDiff *d = g_new0(FileDiff, 1);
    d->path = g_strdup(rel);
    d->lines = g_ptr_array_new_with_free_func(change_free);
    if (pa == NULL || pb == NULL) {
        /* a file on one side only: every entity of it is added (removed) */
        const MsmConfFormat *f1 = format_for(rel);
        d->status = pa == NULL ? "added" : "removed";
        d->format = f1 ? f1->name : NULL;
        if (f1) {
            char *data = NULL;
            gsize len = 0;
            if (!read_file(pa ? pa : pb, &data, &len, error)) {
                file_diff_free(d);
                return NULL;
            }
            MsmConfDoc *one = msm_confdoc_parse(f1, pa ? pa : pb, data, len, error);
            g_free(data);
            if (one == NULL) {
                file_diff_free(d);
                return NULL;
            }
            MsmConfDoc *none = msm_confdoc_new(f1, rel);
            diff_docs(d, pa ? one : none, pa ? none : one);
            msm_confdoc_free(none);
            msm_confdoc_free(one);
        }
        return d;
    }
    char *da = NULL, *db = NULL;
    gsize la = 0, lb = 0;
    if (!read_file(pa, &da, &la, error) || !read_file(pb, &db, &lb, error)) {
        g_free(da);
        file_diff_free(d);
        return NULL;
    }
    d->status = "changed";
    if (la == lb && memcmp(da, db, la) == 0) {
        g_free(da);
        g_free(db);
        file_diff_free(d);
        return NULL;
    }
    const MsmConfFormat *fmt = format_for(rel);
    MsmConfDoc *a = NULL, *b = NULL;
    if (fmt) {
        GError *ea = NULL;
        a = msm_confdoc_parse(fmt, pa, da, la, &ea);
        b = a ? msm_confdoc_parse(fmt, pb, db, lb, &ea) : NULL;
        if (ea) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s", ea->message);
            g_error_free(ea);
            msm_confdoc_free(a);
            g_free(da);
            g_free(db);
            file_diff_free(d);
            return NULL;
        }
        d->format = fmt->name;
        diff_docs(d, a, b);
        msm_confdoc_free(a);
        msm_confdoc_free(b);
    }
    g_free(da);
    g_free(db);
    /* the same entities but other bytes (comments, layout): still a difference */
    return d;
}

/* Regular files below dir (recursive), as sorted relpaths. Links are refused. */
static gboolean
list_tree(const char *top, const char *sub, GPtrArray *out, GError **error)
{
    char *dir = sub ? g_build_filename(top, sub, NULL) : g_strdup(top);
    GError *e = NULL;
    GDir *d = g_dir_open(dir, 0, &e);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot list %s: %s", dir, e->message);
        g_error_free(e);
        g_free(dir);
        return FALSE;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < names->len; i++) {
        char *rel = sub ? g_strconcat(sub, "/", names->pdata[i], NULL) : g_strdup(names->pdata[i]);
        char *p = g_build_filename(top, rel, NULL);
        struct stat st;
        if (lstat(p, &st) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot stat %s: %s", p,
                        g_strerror(errno));
            ok = FALSE;
        } else if (S_ISDIR(st.st_mode)) {
            ok = list_tree(top, rel, out, error);
        } else if (S_ISREG(st.st_mode)) {
            g_ptr_array_add(out, g_strdup(rel));
        } else {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s is a symbolic link or special file: diff compares regular files; "
                        "replace it by the file it stands for",
                        p);
            ok = FALSE;
        }
        g_free(p);
        g_free(rel);
    }
    g_ptr_array_unref(names);
    g_free(dir);
    return ok;
}

static void
diff_print_text(GPtrArray *diffs, const char *old, const char *new_)
{
    guint add = 0, rem = 0, chg = 0;
    for (guint i = 0; i < diffs->len; i++) {
        const FileDiff *d = diffs->pdata[i];
        printf("%s %s%s%s%s\n", strcmp(d->status, "added") == 0     ? "+++"
                                : strcmp(d->status, "removed") == 0 ? "---"
                                                                    : "***",
               d->path, d->format ? " (" : "", d->format ? d->format : "", d->format ? ")" : "");
        if (strcmp(d->status, "changed") == 0 && d->lines->len == 0)
            printf("  (same entities; comments, order or layout differ)\n");
        for (guint k = 0; k < d->lines->len; k++) {
            const Change *c = d->lines->pdata[k];
            const char *sym = strcmp(c->change, "added") == 0     ? "+"
                              : strcmp(c->change, "removed") == 0 ? "-"
                                                                  : "~";
            add += *sym == '+';
            rem += *sym == '-';
            chg += *sym == '~';
            GString *id = g_string_new(NULL);
            if (*c->section)
                g_string_append_printf(id, "[%s] ", c->section);
            if (strcmp(c->what, "entry") != 0)
                g_string_append_printf(id, "%s ", c->what);
            g_string_append(id, c->key ? c->key : "");
            if (strcmp(c->change, "changed") == 0)
                printf("  ~ %s: \"%s\" -> \"%s\"\n", id->str, c->old_v ? c->old_v : "",
                       c->new_v ? c->new_v : "");
            else if (c->old_v || c->new_v)
                printf("  %s %s = \"%s\"\n", sym, id->str, c->old_v ? c->old_v : c->new_v);
            else
                printf("  %s %s\n", sym, id->str);
            g_string_free(id, TRUE);
        }
    }
    if (diffs->len == 0)
        printf("%s and %s: same configuration\n", old, new_);
    else
        printf("%u file(s) differ: %u entities added, %u removed, %u changed\n", diffs->len,
               add, rem, chg);
}

static void
diff_print_json(GPtrArray *diffs, const char *old, const char *new_)
{
    MsmJson *j = msm_json_new(TRUE);
    msm_json_begin_object(j);
    msm_json_kv_string(j, "old", old);
    msm_json_kv_string(j, "new", new_);
    msm_json_kv_bool(j, "same", diffs->len == 0);
    msm_json_key(j, "files");
    msm_json_begin_array(j);
    for (guint i = 0; i < diffs->len; i++) {
        const FileDiff *d = diffs->pdata[i];
        msm_json_begin_object(j);
        msm_json_kv_string(j, "path", d->path);
        msm_json_kv_string(j, "status", d->status);
        msm_json_kv_string(j, "format", d->format);
        msm_json_key(j, "entities");
        msm_json_begin_array(j);
        for (guint k = 0; k < d->lines->len; k++) {
            const Change *c = d->lines->pdata[k];
            msm_json_begin_object(j);
            msm_json_kv_string(j, "change", c->change);
            msm_json_kv_string(j, "type", c->what);
            msm_json_kv_string(j, "section", c->section);
            msm_json_kv_string(j, "key", c->key);
            if (strcmp(c->change, "added") != 0)
                msm_json_kv_string(j, "old", c->old_v);
            if (strcmp(c->change, "removed") != 0)
                msm_json_kv_string(j, "new", c->new_v);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        msm_json_end_object(j);
    }
    msm_json_end_array(j);
    msm_json_end_object(j);
    char *s = msm_json_finish(j);
    printf("%s\n", s);
    g_free(s);
}

int
cli_config_diff(int argc, char **argv)
{
    CliCommon common = {0};
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    GPtrArray *diffs = g_ptr_array_new_with_free_func(file_diff_free);
    GPtrArray *la = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *lb = g_ptr_array_new_with_free_func(g_free);
    const GOptionEntry entries[] = {G_OPTION_ENTRY_NULL};
    if (!cli_parse(&argc, &argv, "config diff", "OLD NEW",
                   "Entity-level differences of two configuration trees (directories) or two "
                   "files, by format identity: per file the entities added, removed and "
                   "changed. Secrets show only as set/equal. Exit 0 when the same, 2 when "
                   "different (docs/config-merge.md).",
                   entries, &common))
        goto out;
    if (argc != 3) {
        fprintf(stderr, "msmigrate: config diff: pass OLD and NEW (two directories or two "
                        "files)\n");
        goto out;
    }
    const char *old = argv[1], *new_ = argv[2];
    gboolean da = g_file_test(old, G_FILE_TEST_IS_DIR), db = g_file_test(new_, G_FILE_TEST_IS_DIR);
    if (!g_file_test(old, G_FILE_TEST_EXISTS) || !g_file_test(new_, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "msmigrate: config diff: %s does not exist\n",
                g_file_test(old, G_FILE_TEST_EXISTS) ? new_ : old);
        goto out;
    }
    if (da != db) {
        fprintf(stderr, "msmigrate: config diff: %s is a %s and %s is not: compare two "
                        "directories or two files\n",
                old, da ? "directory" : "file", new_);
        goto out;
    }
    if (!da) {
        /* two files: the format comes from NEW's base name, else OLD's */
        char *base = g_path_get_basename(format_for(new_) ? new_ : old);
        FileDiff *d = diff_files(base, old, new_, &err);
        g_free(base);
        if (err)
            goto fail;
        if (d)
            g_ptr_array_add(diffs, d);
    } else {
        if (!list_tree(old, NULL, la, &err) || !list_tree(new_, NULL, lb, &err))
            goto fail;
        guint i = 0, k = 0;
        while (i < la->len || k < lb->len) {
            int c = i >= la->len ? 1 : k >= lb->len ? -1 : strcmp(la->pdata[i], lb->pdata[k]);
            const char *rel = c <= 0 ? la->pdata[i] : lb->pdata[k];
            char *pa = c <= 0 ? g_build_filename(old, rel, NULL) : NULL;
            char *pb = c >= 0 ? g_build_filename(new_, rel, NULL) : NULL;
            FileDiff *d = diff_files(rel, pa, pb, &err);
            g_free(pa);
            g_free(pb);
            if (err)
                goto fail;
            if (d)
                g_ptr_array_add(diffs, d);
            i += c <= 0;
            k += c >= 0;
        }
    }
    if (common.json)
        diff_print_json(diffs, old, new_);
    else
        diff_print_text(diffs, old, new_);
    rc = diffs->len ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
    goto out;
fail:
    fprintf(stderr, "msmigrate: config diff: %s\n", err->message);
    g_clear_error(&err);
out:
    g_ptr_array_unref(diffs);
    g_ptr_array_unref(la);
    g_ptr_array_unref(lb);
    cli_common_clear(&common);
    return rc;
}

/* ====================================================================== */
/* toxml / fromxml                                                        */
/* ====================================================================== */

/* Resolves ROOT's layout for a legacy-capable 7.x/8.x version. */
static MsmLayout *
uc_layout(const char *verb, const char *root, const char *from, const char *instance,
          const char **version_r)
{
    GError *err = NULL;
    const char *id = NULL;
    if (from) {
        id = cli_version(from, verb);
        if (id == NULL)
            return NULL;
    } else {
        MsmDetection *det = msm_detect(root, &err);
        if (det)
            id = msm_detection_pick(det, NULL, &err);
        msm_detection_free(det);
        if (id == NULL) {
            fprintf(stderr, "msmigrate: config %s: %s\n", verb,
                    err ? err->message : "cannot tell the version");
            g_clear_error(&err);
            return NULL;
        }
    }
    static const char *const ok_versions[] = {"ms-7.0",   "ms-7.0.5", "ms-8.0",
                                              "ms-8.0.1", "ms-8.0.2", "ms-8.1", NULL};
    if (!g_strv_contains(ok_versions, id)) {
        fprintf(stderr, "msmigrate: config %s: %s has no Unified Configuration (it exists from "
                        "Messaging Server 7 Update 5; convert after upgrading to 7.x)\n",
                verb, id);
        return NULL;
    }
    MsmLayout *l = msm_layout_resolve(root, id, instance, &err);
    if (l == NULL) {
        fprintf(stderr, "msmigrate: config %s: %s\n", verb, err->message);
        g_clear_error(&err);
        return NULL;
    }
    *version_r = id;
    return l;
}

/* Copies src to dst exactly (atomic; mode). */
static gboolean
copy_exact(const char *dst, const void *data, gsize len, guint mode, GError **error)
{
    return msm_write_file_atomic(dst, data, len, mode, error);
}

typedef struct {
    char *relpath;
    char *sha;
    guint mode;
} Moved;

static void
moved_free(gpointer p)
{
    Moved *m = p;
    g_free(m->relpath);
    g_free(m->sha);
    g_free(m);
}

int
cli_config_toxml(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL, *instance = NULL;
    gboolean dry_run = FALSE;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    MsmLayout *l = NULL;
    GHashTable *files = NULL;
    GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *refused = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *list = g_ptr_array_new();
    GPtrArray *uc = NULL;
    GPtrArray *moved = g_ptr_array_new_with_free_func(moved_free);
    char *save = NULL, *manifest = NULL;
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "The deployment's version (else detected)",
         "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance, "The instance, when several",
         "NAME"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Show what would change; change nothing",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "config toxml", "ROOT",
                   "Convert the legacy configuration at ROOT to Unified Configuration in place "
                   "(configtoxml): write config.xml and restricted.cnf, save the legacy files "
                   "in config/legacy-config/ (docs/uc-conversion.md).",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: config toxml: pass the deployment ROOT\n");
        goto out;
    }
    const char *root = argv[1], *version = NULL;
    if ((l = uc_layout("toxml", root, from, instance, &version)) == NULL)
        goto out;
    const char *cdir = msm_layout_config_dir(l);
    save = g_build_filename(cdir, UC_SAVE_DIR, NULL);
    manifest = g_build_filename(save, UC_MANIFEST, NULL);
    if (msm_has_path(cdir, "config.xml") || msm_has_path(cdir, UC_SAVE_DIR)) {
        fprintf(stderr, "msmigrate: config toxml: %s already holds %s: the configuration was "
                        "converted already (msmigrate config fromxml %s restores it)\n",
                cdir, msm_has_path(cdir, "config.xml") ? "config.xml" : UC_SAVE_DIR "/", root);
        goto out;
    }
    if ((files = cli_config_load_files(root, version, instance, order, refused, &err)) == NULL) {
        fprintf(stderr, "msmigrate: config toxml: %s\n", err->message);
        g_clear_error(&err);
        goto out;
    }
    if (refused->len) {
        fprintf(stderr, "msmigrate: config toxml: %s\n", (char *)refused->pdata[0]);
        goto out;
    }
    for (guint i = 0; i < order->len; i++) {
        MsmItem *it = g_hash_table_lookup(files, order->pdata[i]);
        MsmConfigFile *f = it->payload;
        if (msm_uc_is_absorbed(f->relpath) &&
            strcmp(msm_core_config_file_dir(l, f->relpath), cdir) != 0) {
            fprintf(stderr, "msmigrate: config toxml: %s is not in %s: this layout is not one "
                            "configtoxml converts\n", f->relpath, cdir);
            goto out;
        }
        g_ptr_array_add(list, f);
    }
    if ((uc = msm_uc_from_legacy(list, &err)) == NULL) {
        fprintf(stderr, "msmigrate: config toxml: %s\n", err->message);
        g_clear_error(&err);
        goto out;
    }
    for (guint i = 0; i < list->len; i++) {
        const MsmConfigFile *f = list->pdata[i];
        if (!msm_uc_is_absorbed(f->relpath))
            continue;
        gsize len = 0;
        const void *d = g_bytes_get_data(f->content, &len);
        Moved *m = g_new0(Moved, 1);
        m->relpath = g_strdup(f->relpath);
        m->sha = msm_sha256_hex(d ? d : "", len);
        m->mode = f->mode ? f->mode : 0644;
        g_ptr_array_add(moved, m);
    }
    if (dry_run || !common.quiet) {
        printf("%s %s (%s): %s config.xml and restricted.cnf; %s %u legacy file(s) to %s/\n",
               dry_run ? "would convert" : "converting", root, version,
               dry_run ? "would write" : "writing", dry_run ? "would move" : "moving",
               moved->len, UC_SAVE_DIR);
        for (guint i = 0; i < moved->len; i++)
            printf("  %s -> %s/%s\n", ((Moved *)moved->pdata[i])->relpath, UC_SAVE_DIR,
                   ((Moved *)moved->pdata[i])->relpath);
    }
    if (dry_run) {
        rc = MSM_EXIT_OK;
        goto out;
    }
    /* 1. copies */
    if (!msm_mkdir_p(save, TRUE, &err))
        goto fail;
    for (guint i = 0; i < list->len; i++) {
        const MsmConfigFile *f = list->pdata[i];
        if (!msm_uc_is_absorbed(f->relpath))
            continue;
        char *dst = msm_path_under(save, f->relpath, &err);
        gsize len = 0;
        const void *d = g_bytes_get_data(f->content, &len);
        gboolean ok = dst && copy_exact(dst, d ? d : "", len, f->mode ? f->mode : 0644, &err);
        g_free(dst);
        if (!ok)
            goto fail;
    }
    /* 2. the manifest */
    GString *ms = g_string_new(UC_MANIFEST_MAGIC "\n");
    g_string_append_printf(ms, "version\t%s\n", version);
    for (guint i = 0; i < uc->len; i++) {
        const MsmConfigFile *f = uc->pdata[i];
        if (strcmp(f->relpath, "config.xml") && strcmp(f->relpath, "restricted.cnf"))
            continue;
        gsize len = 0;
        const void *d = g_bytes_get_data(f->content, &len);
        char *sha = msm_sha256_hex(d ? d : "", len);
        g_string_append_printf(ms, "wrote\t%s\t%s\n", f->relpath, sha);
        g_free(sha);
    }
    for (guint i = 0; i < moved->len; i++) {
        const Moved *m = moved->pdata[i];
        g_string_append_printf(ms, "moved\t%s\t%s\t%04o\n", m->relpath, m->sha, m->mode);
    }
    gboolean mok = msm_write_file_atomic(manifest, ms->str, ms->len, 0600, &err);
    g_string_free(ms, TRUE);
    if (!mok)
        goto fail;
    /* 3. config.xml, restricted.cnf */
    for (guint i = 0; i < uc->len; i++) {
        const MsmConfigFile *f = uc->pdata[i];
        if (strcmp(f->relpath, "config.xml") && strcmp(f->relpath, "restricted.cnf"))
            continue;
        char *dst = msm_path_under(cdir, f->relpath, &err);
        gsize len = 0;
        const void *d = g_bytes_get_data(f->content, &len);
        gboolean ok = dst && msm_write_file_atomic(dst, d ? d : "", len, f->mode, &err);
        g_free(dst);
        if (!ok)
            goto fail;
    }
    /* 4. the originals go */
    for (guint i = 0; i < moved->len; i++) {
        char *p = msm_path_under(cdir, ((Moved *)moved->pdata[i])->relpath, &err);
        if (p == NULL || (unlink(p) != 0 && errno != ENOENT)) {
            if (p)
                g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "cannot remove %s: %s", p,
                            g_strerror(errno));
            g_free(p);
            goto fail;
        }
        g_free(p);
    }
    if (!common.quiet)
        printf("converted: %s/config.xml and restricted.cnf written; the legacy files are in "
               "%s/ (msmigrate config fromxml restores them)\n", cdir, save);
    rc = MSM_EXIT_OK;
    goto out;
fail:
    fprintf(stderr, "msmigrate: config toxml: %s (nothing is lost: copies are in %s)\n",
            err ? err->message : "failed", save);
    g_clear_error(&err);
out:
    if (uc)
        g_ptr_array_unref(uc);
    if (files)
        g_hash_table_unref(files);
    g_ptr_array_unref(list);
    g_ptr_array_unref(order);
    g_ptr_array_unref(refused);
    g_ptr_array_unref(moved);
    msm_layout_free(l);
    g_free(save);
    g_free(manifest);
    g_free(from);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}

/* Hex SHA-256 of the file at path, or NULL if absent; MSM_ERROR_IO when unreadable. */
static char *
sha_of(const char *path, GError **error)
{
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return NULL;
    char *d = NULL;
    gsize len = 0;
    if (!read_file(path, &d, &len, error))
        return NULL;
    char *s = msm_sha256_hex(d, len);
    g_free(d);
    return s;
}

int
cli_config_fromxml(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL, *instance = NULL;
    gboolean dry_run = FALSE, force = FALSE;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    MsmLayout *l = NULL;
    char *save = NULL, *manifest = NULL, *text = NULL;
    char **lines = NULL;
    GPtrArray *moved = g_ptr_array_new_with_free_func(moved_free);
    GPtrArray *wrote = g_ptr_array_new_with_free_func(moved_free);
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "The deployment's version (else detected)",
         "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance, "The instance, when several",
         "NAME"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Show what would change; change nothing",
         NULL},
        {"force", 'f', 0, G_OPTION_ARG_NONE, &force,
         "Restore even though config.xml or restricted.cnf changed since toxml (those changes "
         "are lost)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "config fromxml", "ROOT",
                   "Restore the legacy configuration `config toxml` saved in "
                   "config/legacy-config/, byte for byte, and remove config.xml and "
                   "restricted.cnf (docs/uc-conversion.md).",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: config fromxml: pass the deployment ROOT\n");
        goto out;
    }
    const char *root = argv[1], *version = NULL;
    if (from == NULL) {
        /* detection sees config.xml (7.0.5+ unified); the manifest knows the version */
        MsmLayout *probe = msm_layout_resolve(root, "ms-7.0.5", instance, NULL);
        if (probe) {
            char *mp = g_build_filename(msm_layout_config_dir(probe), UC_SAVE_DIR, UC_MANIFEST,
                                        NULL);
            char *t = NULL;
            if (g_file_get_contents(mp, &t, NULL, NULL)) {
                const char *v = strstr(t, "\nversion\t");
                if (v) {
                    v += strlen("\nversion\t");
                    from = g_strndup(v, strcspn(v, "\n"));
                }
            }
            g_free(t);
            g_free(mp);
            msm_layout_free(probe);
        }
    }
    if ((l = uc_layout("fromxml", root, from, instance, &version)) == NULL)
        goto out;
    const char *cdir = msm_layout_config_dir(l);
    save = g_build_filename(cdir, UC_SAVE_DIR, NULL);
    manifest = g_build_filename(save, UC_MANIFEST, NULL);
    gsize tlen = 0;
    if (!g_file_get_contents(manifest, &text, &tlen, NULL)) {
        fprintf(stderr, "msmigrate: config fromxml: no %s: this configuration was not converted "
                        "by msmigrate config toxml, so there is nothing saved to restore\n",
                manifest);
        goto out;
    }
    lines = g_strsplit(text, "\n", -1);
    if (lines[0] == NULL || strcmp(lines[0], UC_MANIFEST_MAGIC) != 0) {
        fprintf(stderr, "msmigrate: config fromxml: %s:1: not a toxml manifest (\"%s\" "
                        "expected)\n", manifest, UC_MANIFEST_MAGIC);
        goto out;
    }
    for (guint i = 1; lines[i]; i++) {
        if (*lines[i] == '\0')
            continue;
        char **f = g_strsplit(lines[i], "\t", -1);
        guint n = g_strv_length(f);
        gboolean ok = TRUE;
        if (strcmp(f[0], "version") == 0 && n == 2) {
            /* already used */
        } else if ((strcmp(f[0], "moved") == 0 && n == 4) ||
                   (strcmp(f[0], "wrote") == 0 && n == 3)) {
            Moved *m = g_new0(Moved, 1);
            m->relpath = g_strdup(f[1]);
            m->sha = g_strdup(f[2]);
            m->mode = n == 4 ? (guint)g_ascii_strtoull(f[3], NULL, 8) & 07777 : 0;
            g_ptr_array_add(*f[0] == 'm' ? moved : wrote, m);
            ok = msm_relpath_is_safe(m->relpath) && strchr(m->relpath, '/') == NULL &&
                 strlen(m->sha) == 64;
        } else {
            ok = FALSE;
        }
        g_strfreev(f);
        if (!ok) {
            fprintf(stderr, "msmigrate: config fromxml: %s:%u: malformed line; the manifest "
                            "must not be edited\n", manifest, i + 1);
            goto out;
        }
    }
    /* checks first: nothing changes on a refusal */
    for (guint i = 0; i < moved->len; i++) {
        const Moved *m = moved->pdata[i];
        char *p = g_build_filename(save, m->relpath, NULL);
        char *sha = sha_of(p, &err);
        gboolean good = sha && strcmp(sha, m->sha) == 0;
        g_free(sha);
        if (!good) {
            fprintf(stderr, "msmigrate: config fromxml: the saved copy %s is %s; it cannot be "
                            "restored byte for byte (restore it from a backup)\n",
                    p, err ? err->message : g_file_test(p, G_FILE_TEST_EXISTS) ? "changed"
                                                                               : "missing");
            g_clear_error(&err);
            g_free(p);
            goto out;
        }
        g_free(p);
        char *dst = g_build_filename(cdir, m->relpath, NULL);
        if (!force && g_file_test(dst, G_FILE_TEST_EXISTS)) {
            fprintf(stderr, "msmigrate: config fromxml: %s exists again since toxml; move it "
                            "away, or pass --force to replace it with the saved copy\n", dst);
            g_free(dst);
            goto out;
        }
        g_free(dst);
    }
    for (guint i = 0; i < wrote->len; i++) {
        const Moved *w = wrote->pdata[i];
        char *p = g_build_filename(cdir, w->relpath, NULL);
        char *sha = sha_of(p, &err);
        if (err) {
            fprintf(stderr, "msmigrate: config fromxml: %s\n", err->message);
            g_clear_error(&err);
            g_free(p);
            goto out;
        }
        if (sha && strcmp(sha, w->sha) != 0 && !force) {
            fprintf(stderr, "msmigrate: config fromxml: %s changed since toxml; restoring the "
                            "legacy files loses those changes (the seed's rule): pass --force "
                            "to restore anyway\n", p);
            g_free(sha);
            g_free(p);
            goto out;
        }
        g_free(sha);
        g_free(p);
    }
    if (dry_run || !common.quiet) {
        printf("%s %u legacy file(s) of %s (%s) from %s/; %s config.xml and restricted.cnf\n",
               dry_run ? "would restore" : "restoring", moved->len, root, version, UC_SAVE_DIR,
               dry_run ? "would remove" : "removing");
        for (guint i = 0; i < moved->len; i++)
            printf("  %s/%s -> %s\n", UC_SAVE_DIR, ((Moved *)moved->pdata[i])->relpath,
                   ((Moved *)moved->pdata[i])->relpath);
    }
    if (dry_run) {
        rc = MSM_EXIT_OK;
        goto out;
    }
    for (guint i = 0; i < moved->len; i++) {
        const Moved *m = moved->pdata[i];
        char *p = g_build_filename(save, m->relpath, NULL);
        char *d = NULL;
        gsize len = 0;
        char *dst = msm_path_under(cdir, m->relpath, &err);
        gboolean ok = dst && read_file(p, &d, &len, &err) &&
                      msm_write_file_atomic(dst, d, len, m->mode ? m->mode : 0644, &err);
        if (ok && chmod(dst, m->mode ? m->mode : 0644) != 0) {
            g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "cannot set the mode of %s: %s", dst,
                        g_strerror(errno));
            ok = FALSE;
        }
        g_free(d);
        g_free(dst);
        g_free(p);
        if (!ok) {
            fprintf(stderr, "msmigrate: config fromxml: %s (run fromxml again: the saved copies "
                            "are untouched)\n", err->message);
            g_clear_error(&err);
            goto out;
        }
    }
    for (guint i = 0; i < wrote->len; i++) {
        char *p = g_build_filename(cdir, ((Moved *)wrote->pdata[i])->relpath, NULL);
        if (unlink(p) != 0 && errno != ENOENT)
            fprintf(stderr, "msmigrate: config fromxml: cannot remove %s: %s\n", p,
                    g_strerror(errno));
        g_free(p);
    }
    for (guint i = 0; i < moved->len; i++) {
        char *p = g_build_filename(save, ((Moved *)moved->pdata[i])->relpath, NULL);
        unlink(p);
        g_free(p);
    }
    unlink(manifest);
    if (rmdir(save) != 0)
        fprintf(stderr, "msmigrate: config fromxml: %s is not empty (files not written by "
                        "toxml are left there)\n", save);
    if (!common.quiet)
        printf("restored: the legacy configuration is back in %s\n", cdir);
    rc = MSM_EXIT_OK;
out:
    g_strfreev(lines);
    g_free(text);
    g_ptr_array_unref(moved);
    g_ptr_array_unref(wrote);
    msm_layout_free(l);
    g_free(save);
    g_free(manifest);
    g_free(from);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}
