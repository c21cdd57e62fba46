/*
 * NAME
 *	codec-config-files.c - byte-exact configuration codec of every version
 * SUMMARY
 *	Implements msm_core_config_files_codec() (builtin.h) with the rules of
 *	docs/formats/config-files.md: one MsmConfigFile item per regular file
 *	of the layout's configuration and MTA configuration directories, and a
 *	writer that puts each back, atomically, where its name says.
 * DESCRIPTION
 *	The reader lists the files when it opens (configuration directories
 *	are small) and reads each one only when it is yielded. Entries that
 *	must not be read (symbolic links, special files) stay in the list and
 *	fail when their turn comes, so everything before them still flows and
 *	the error names them. Files are opened with O_NOFOLLOW and checked
 *	with fstat, so a file replaced by a link after the listing is refused
 *	too.
 *
 *	Inside a run the writer records each change in the run's work
 *	directory before making it (manifest + backups of replaced files), and
 *	rollback() undoes the record from the end; docs/formats/config-files.md
 *	"What a run keeps, and rollback".
 * DIAGNOSTICS
 *	MSM_ERROR_NOT_FOUND: no configuration directory at the root for the
 *	version. MSM_ERROR_UNSAFE: a symbolic link or special file in a
 *	configuration directory, an unsafe relpath, or a link along the way
 *	the writer would follow. MSM_ERROR_IO: a directory or file that cannot
 *	be read or written, with the system's reason. MSM_ERROR_FAILED: two
 *	files that would get the same item key. MSM_ERROR_INVALID_ARGUMENT: an
 *	item that is not a configuration file, or a rollback without a run work
 *	directory. MSM_ERROR_PARSE: a damaged manifest. Rollback refuses
 *	(MSM_ERROR_UNSAFE) a recorded path outside the root.
 */
#include "config.h"

#include "builtin.h"

#include "ctxpriv.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const all_versions[] = {
    "sims-4.0", "nms-3.x",  "nms-4.0",  "nms-4.1", "ims-5.2", "ms-6.0",
    "ms-6.1",   "ms-6.2",   "ms-6.2p3", "ms-6.3",  "ms-7.0",  "ms-7.0.5",
    "ms-8.0",   "ms-8.0.1", "ms-8.0.2", "ms-8.1",  NULL,
};

/* MTA file names (domain-facts 2 [C], seed 000 table). */
static const char *const mta_names[] = {
    "imta.cnf",        "option.dat",  "job_controller.cnf",
    "dispatcher.cnf",  "imta_tailor", "mappings",
    "mappings.locale", "aliases",     "conversions",
    "internet.rules",  NULL,
};

/* TRUE if base is the name of an MTA configuration file. */
static gboolean
is_mta_name(const char *base)
{
    for (const char *const *n = mta_names; *n; n++)
        if (strcmp(base, *n) == 0)
            return TRUE;
    return g_str_has_suffix(base, "_option") || g_str_has_suffix(base, "_headers.opt");
}

/* The directory of layout that holds relpath: M for an MTA file name, else C. */
const char *
msm_core_config_file_dir(const MsmLayout *layout, const char *relpath)
{
    const char *s = strrchr(relpath, '/');
    return is_mta_name(s ? s + 1 : relpath) ? msm_layout_mta_config_dir(layout)
                                            : msm_layout_config_dir(layout);
}

/* TRUE for msmigrate's own leftovers: ".NAME.tmp-PID-N" from msm_write_file_atomic (and
 * ".NAME.tmp-PID" from earlier versions). */
static gboolean
is_own_temp(const char *name)
{
    if (name[0] != '.')
        return FALSE;
    const char *t = g_strrstr(name, ".tmp-");
    if (t == NULL || t == name)
        return FALSE;
    const char *p = t + 5;
    size_t n = strspn(p, "0123456789");
    if (n == 0)
        return FALSE;
    if (p[n] == '-') {
        p += n + 1;
        n = strspn(p, "0123456789");
        if (n == 0)
            return FALSE;
    }
    return p[n] == '\0';
}

/* The base name of a '/'-separated relpath (transfer none: points into rel). */
static const char *
rel_basename(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? s + 1 : rel;
}

/* The layout of root for version, with the context's instance. (transfer full) */
static MsmLayout *
resolve(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    return msm_layout_resolve(root, version, ctx ? ctx->instance : NULL, error);
}

/* ---- reader ---- */

typedef struct {
    char *path;    /* absolute */
    char *relpath; /* for the item */
    char *refusal; /* why it cannot be read, or NULL */
    int code;      /* MsmErrorCode of the refusal */
    gint64 size;   /* as listed, for reader_estimate */
} Entry;

typedef struct {
    GPtrArray *entries; /* Entry* */
    guint next;
} Reader;

/* Frees an Entry. */
static void
entry_free(gpointer p)
{
    Entry *e = p;
    g_free(e->path);
    g_free(e->relpath);
    g_free(e->refusal);
    g_free(e);
}

typedef struct {
    const char *cdir;  /* C */
    const char *mdir;  /* M */
    gboolean m_inside; /* M is below C */
    gboolean in_m;     /* walking M */
    GPtrArray *entries;
} Walk;

/* The relpath of a regular file at path (docs/formats/config-files.md "The items"). */
static char *
relpath_for(const Walk *w, const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    if (w->in_m && !is_mta_name(base) && w->m_inside)
        return g_strdup(path + strlen(w->cdir) + 1);
    const char *from = w->in_m ? w->mdir : w->cdir;
    return g_strdup(path + strlen(from) + 1);
}

/* Lists dir recursively into w->entries in sorted order. */
static gboolean
walk_dir(Walk *w, const char *dir, GError **error)
{
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read configuration directory %s: %s",
                    dir, err->message);
        g_error_free(err);
        return FALSE;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    gboolean ok = TRUE;
    for (guint i = 0; i < names->len && ok; i++) {
        const char *name = names->pdata[i];
        if (strcmp(name, ".msmigrate") == 0 || is_own_temp(name))
            continue;
        char *path = g_build_filename(dir, name, NULL);
        struct stat st;
        if (lstat(path, &st) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot examine %s: %s", path,
                        g_strerror(e));
            ok = FALSE;
        } else if (S_ISDIR(st.st_mode)) {
            if (!(w->m_inside && !w->in_m && strcmp(path, w->mdir) == 0))
                ok = walk_dir(w, path, error);
        } else {
            Entry *e = g_new0(Entry, 1);
            e->path = g_strdup(path);
            e->relpath = relpath_for(w, path);
            e->size = S_ISREG(st.st_mode) ? (gint64)st.st_size : 0;
            e->code = MSM_ERROR_UNSAFE;
            if (S_ISLNK(st.st_mode))
                e->refusal = g_strdup_printf(
                    "%s is a symbolic link: msmigrate does not follow links in configuration "
                    "directories; replace it with the file it points to, or remove it",
                    path);
            else if (!S_ISREG(st.st_mode))
                e->refusal = g_strdup_printf(
                    "%s is not a regular file (a device, FIFO or socket): remove it from the "
                    "configuration directory",
                    path);
            g_ptr_array_add(w->entries, e);
        }
        g_free(path);
    }
    g_ptr_array_unref(names);
    return ok;
}

/* Lists the configuration files of root for version (transfer full: Reader*). */
static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    MsmLayout *l = resolve(ctx, root, version, error);
    if (l == NULL)
        return NULL;
    const char *c = msm_layout_config_dir(l), *m = msm_layout_mta_config_dir(l);
    Reader *r = NULL;
    if (!msm_dir_exists(c)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no configuration directory at %s: is %s installed at %s? "
                    "(docs/formats/layout.md)",
                    c, msm_version_display_name(msm_layout_version(l)), root);
        goto out;
    }
    Walk w = {0};
    w.cdir = c;
    w.mdir = m;
    char *cslash = g_strconcat(c, "/", NULL);
    w.m_inside = g_str_has_prefix(m, cslash);
    g_free(cslash);
    w.entries = g_ptr_array_new_with_free_func(entry_free);
    gboolean ok = walk_dir(&w, c, error);
    if (ok && strcmp(c, m) != 0 && msm_dir_exists(m)) {
        w.in_m = TRUE;
        ok = walk_dir(&w, m, error);
    }
    if (ok) {
        /* Two files with one key cannot both be journalled: refuse the second. */
        GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < w.entries->len; i++) {
            Entry *e = w.entries->pdata[i];
            Entry *first = g_hash_table_lookup(seen, e->relpath);
            if (first == NULL) {
                g_hash_table_insert(seen, e->relpath, e);
            } else if (e->refusal == NULL) {
                e->code = MSM_ERROR_FAILED;
                e->refusal = g_strdup_printf(
                    "%s and %s would both be the configuration item config/%s: rename or remove "
                    "one of them",
                    first->path, e->path, e->relpath);
            }
        }
        g_hash_table_unref(seen);
        r = g_new0(Reader, 1);
        r->entries = w.entries;
    } else {
        g_ptr_array_unref(w.entries);
    }
out:
    msm_layout_free(l);
    return r;
}

/* Reads a regular file without following a link. FALSE with error otherwise. */
static gboolean
read_exact(const char *path, GBytes **bytes_r, guint32 *mode_r, GError **error)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s became a symbolic link: msmigrate does not follow links in "
                        "configuration directories",
                        path);
        else
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot open %s: %s", path, g_strerror(e));
        return FALSE;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "%s is not a regular file any more", path);
        close(fd);
        return FALSE;
    }
    GByteArray *buf = g_byte_array_sized_new((guint)MIN(st.st_size, 1 << 20));
    guint8 chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", path, g_strerror(e));
            g_byte_array_unref(buf);
            close(fd);
            return FALSE;
        }
        if (n == 0)
            break;
        g_byte_array_append(buf, chunk, (guint)n);
    }
    close(fd);
    *bytes_r = g_byte_array_free_to_bytes(buf);
    *mode_r = st.st_mode & 07777;
    return TRUE;
}

/* Yields the next file as an item, or fails for a refused entry and moves on. */
static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    *item_r = NULL;
    if (r->next >= r->entries->len)
        return TRUE;
    Entry *e = r->entries->pdata[r->next++];
    if (e->refusal != NULL) {
        g_set_error_literal(error, MSM_ERROR, e->code, e->refusal);
        return FALSE;
    }
    GBytes *bytes;
    guint32 mode;
    if (!read_exact(e->path, &bytes, &mode, error))
        return FALSE;
    MsmConfigFile *f = msm_config_file_new(e->relpath, bytes);
    g_bytes_unref(bytes);
    f->mode = mode;
    char *key = g_strconcat("config/", e->relpath, NULL);
    *item_r = msm_item_new(MSM_KIND_CONFIG, key, f);
    g_free(key);
    return TRUE;
}

/* Frees a reader. */
static void
reader_close(gpointer reader)
{
    Reader *r = reader;
    if (r == NULL)
        return;
    g_ptr_array_unref(r->entries);
    g_free(r);
}

/* The number of files listed and the sum of their sizes. */
static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Reader *r = reader;
    guint64 bytes = 0;
    for (guint i = 0; i < r->entries->len; i++)
        bytes += (guint64)((Entry *)r->entries->pdata[i])->size;
    *items_r = r->entries->len;
    *bytes_r = bytes;
    return TRUE;
}

/* ---- writer ---- */

/*
 * What a run changed is kept in <work_dir>/config-files/: "manifest" has one
 * line per path, "<what> <path escaped with g_strescape>", written and fsynced
 * before the change; what = created | replaced | mkdir. A replaced file's
 * bytes and mode are first copied to backup/<sha256 of the path>. Only the
 * first change of a path in a run is recorded, so a put repeated on --resume
 * never backs up the run's own output.
 */

typedef struct {
    char *root; /* canonical root: only what is below it is recorded */
    char *cdir;
    char *mdir;
    char *state;       /* <work_dir>/config-files, or NULL outside a run */
    GHashTable *known; /* paths already in the manifest */
    int manifest_fd;   /* -1 until the first record */
} Writer;

/* <state>/backup/<sha256 of path>. (transfer full) */
static char *
backup_path(const char *state, const char *path)
{
    char *h = msm_sha256_hex(path, strlen(path));
    char *b = g_build_filename(state, "backup", h, NULL);
    g_free(h);
    return b;
}

/* Reads the manifest of state: (what, path) pairs in order. (transfer full) */
static GPtrArray *
manifest_read(const char *state, GError **error)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
    char *mp = g_build_filename(state, "manifest", NULL);
    char *data = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(mp, &data, NULL, &err)) {
        if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", mp, err->message);
            g_ptr_array_unref(lines);
            lines = NULL;
        }
        g_clear_error(&err);
        g_free(mp);
        return lines;
    }
    char **rows = g_strsplit(data, "\n", -1);
    for (guint i = 0; rows[i] && lines; i++) {
        if (rows[i][0] == '\0')
            continue;
        char **f = g_strsplit(rows[i], " ", 2);
        if (f[0] == NULL || f[1] == NULL ||
            (strcmp(f[0], "created") && strcmp(f[0], "replaced") && strcmp(f[0], "mkdir"))) {
            /* a torn last line from a crash is the only thing tolerated */
            if (rows[i + 1] != NULL && rows[i + 1][0] != '\0') {
                g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                            "%s, line %u: not \"created|replaced|mkdir PATH\"; the run's "
                            "configuration changes cannot be undone from it",
                            mp, i + 1);
                g_ptr_array_unref(lines);
                lines = NULL;
            }
            g_strfreev(f);
            continue;
        }
        char *path = g_strcompress(f[1]);
        g_free(f[1]);
        f[1] = path;
        g_ptr_array_add(lines, f);
    }
    g_strfreev(rows);
    g_free(data);
    g_free(mp);
    return lines;
}

static void writer_close(gpointer writer);

/* Opens the target's configuration directories; inside a run, loads its record. */
static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    MsmLayout *l = resolve(ctx, root, version, error);
    if (l == NULL)
        return NULL;
    Writer *w = g_new0(Writer, 1);
    w->root = g_canonicalize_filename(root, NULL);
    w->cdir = g_strdup(msm_layout_config_dir(l));
    w->mdir = g_strdup(msm_layout_mta_config_dir(l));
    w->manifest_fd = -1;
    w->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    msm_layout_free(l);
    if (ctx == NULL || ctx->work_dir == NULL)
        return w; /* outside a run (tests, tools): nothing is kept for rollback */
    w->state = g_build_filename(ctx->work_dir, "config-files", NULL);
    GPtrArray *lines = manifest_read(w->state, error); /* non-empty when resuming */
    if (lines == NULL || !msm_mkdir_p(w->state, TRUE, error)) {
        if (lines)
            g_ptr_array_unref(lines);
        writer_close(w);
        return NULL;
    }
    for (guint i = 0; i < lines->len; i++)
        g_hash_table_add(w->known, g_strdup(((char **)lines->pdata[i])[1]));
    g_ptr_array_unref(lines);
    return w;
}

/* Records "what path" in the manifest (durably) unless path is already there. */
static gboolean
record(Writer *w, const char *what, const char *path, GError **error)
{
    if (w->state == NULL || g_hash_table_contains(w->known, path))
        return TRUE;
    char *mp = g_build_filename(w->state, "manifest", NULL);
    if (w->manifest_fd < 0)
        w->manifest_fd = open(mp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    gboolean ok = w->manifest_fd >= 0;
    if (ok) {
        char *esc = g_strescape(path, NULL);
        char *line = g_strdup_printf("%s %s\n", what, esc);
        gsize len = strlen(line), done = 0;
        while (ok && done < len) {
            ssize_t n = write(w->manifest_fd, line + done, len - done);
            if (n < 0 && errno == EINTR)
                continue;
            ok = n > 0;
            if (ok)
                done += (gsize)n;
        }
        ok = ok && fsync(w->manifest_fd) == 0;
        g_free(line);
        g_free(esc);
    }
    if (!ok) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot record in %s: %s", mp, g_strerror(e));
    } else {
        g_hash_table_add(w->known, g_strdup(path));
    }
    g_free(mp);
    return ok;
}

/* TRUE if path is root or below it (both canonical). */
static gboolean
path_within(const char *path, const char *root)
{
    gsize n = strlen(root);
    if (strcmp(path, root) == 0)
        return TRUE;
    if (!g_str_has_prefix(path, root))
        return FALSE;
    return root[n - 1] == '/' || path[n] == '/';
}

/* Creates dir and its missing parents (links followed: the layout's own
 * directories may be links), recording each one created. */
static gboolean
make_top(Writer *w, const char *dir, GError **error)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return TRUE;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "cannot write configuration below %s: it exists and is not a directory", dir);
        return FALSE;
    }
    char *parent = g_path_get_dirname(dir);
    gboolean ok = strcmp(parent, dir) == 0 || make_top(w, parent, error);
    g_free(parent);
    /* directories above the root are made but are not the run's to undo */
    if (ok && path_within(dir, w->root))
        ok = record(w, "mkdir", dir, error);
    if (ok && mkdir(dir, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create directory %s: %s", dir,
                    g_strerror(e));
        ok = FALSE;
    }
    return ok;
}

/* Creates top and the directories of rel's parent below it, refusing links below top. */
static gboolean
make_parents(Writer *w, const char *top, const char *rel, GError **error)
{
    if (!make_top(w, top, error))
        return FALSE;
    char **parts = g_strsplit(rel, "/", -1);
    guint n = g_strv_length(parts);
    char *dir = g_strdup(top);
    gboolean ok = TRUE;
    for (guint i = 0; i + 1 < n && ok; i++) {
        char *next = g_build_filename(dir, parts[i], NULL);
        g_free(dir);
        dir = next;
        struct stat st;
        if (lstat(dir, &st) == 0) {
            if (S_ISLNK(st.st_mode)) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                            "refusing to write config/%s: %s is a symbolic link and could lead "
                            "outside %s; replace it with a directory",
                            rel, dir, top);
                ok = FALSE;
            } else if (!S_ISDIR(st.st_mode)) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                            "cannot write config/%s: %s exists and is not a directory", rel, dir);
                ok = FALSE;
            }
        } else if (!(ok = record(w, "mkdir", dir, error))) {
            /* error set */
        } else if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create directory %s: %s", dir,
                        g_strerror(e));
            ok = FALSE;
        }
    }
    g_free(dir);
    g_strfreev(parts);
    return ok;
}

/* Before dest is first written in this run: keeps what it replaces. */
static gboolean
keep_original(Writer *w, const char *dest, const char *key, GError **error)
{
    struct stat st;
    if (lstat(dest, &st) != 0)
        return record(w, "created", dest, error);
    if (S_ISLNK(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing to write %s: %s is a symbolic link; replace it with the file it "
                    "points to",
                    key, dest);
        return FALSE;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "cannot write %s: %s exists and is not a regular file", key, dest);
        return FALSE;
    }
    if (w->state == NULL || g_hash_table_contains(w->known, dest))
        return TRUE;
    GBytes *old;
    guint32 mode;
    if (!read_exact(dest, &old, &mode, error))
        return FALSE;
    char *bdir = g_build_filename(w->state, "backup", NULL);
    char *bp = backup_path(w->state, dest);
    gsize len;
    gconstpointer data = g_bytes_get_data(old, &len);
    gboolean ok = msm_mkdir_p(bdir, TRUE, error) &&
                  msm_write_file_atomic(bp, data ? data : "", len, mode, error) &&
                  record(w, "replaced", dest, error);
    g_free(bp);
    g_free(bdir);
    g_bytes_unref(old);
    return ok;
}

/* Writes one configuration file where its name says, keeping what it replaces. */
static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    Writer *w = writer;
    if (item == NULL || item->kind != MSM_KIND_CONFIG || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the config-files writer was given %s item %s: only configuration files "
                    "can be written",
                    item ? msm_kind_name(item->kind) : "no", item && item->key ? item->key : "");
        return FALSE;
    }
    MsmConfigFile *f = item->payload;
    if (!msm_relpath_is_safe(f->relpath)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing configuration file \"%s\" (item %s): its path is absolute, empty, "
                    "or contains \".\", \"..\" or a backslash",
                    f->relpath ? f->relpath : "(null)", item->key);
        return FALSE;
    }
    const char *top = is_mta_name(rel_basename(f->relpath)) ? w->mdir : w->cdir;
    if (!make_parents(w, top, f->relpath, error))
        return FALSE;
    char *dest = g_build_filename(top, f->relpath, NULL);
    gsize len = 0;
    gconstpointer data = f->content ? g_bytes_get_data(f->content, &len) : NULL;
    gboolean ok =
        keep_original(w, dest, item->key, error) &&
        msm_write_file_atomic(dest, data ? data : "", len, f->mode ? f->mode : 0644, error);
    g_free(dest);
    return ok;
}

/* Nothing to do: every put is durable when it returns. */
static gboolean
writer_commit(gpointer writer, GError **error)
{
    (void)writer;
    (void)error;
    return TRUE; /* every put and every record was already fsynced */
}

/* Closes the record and frees the writer. */
static void
writer_close(gpointer writer)
{
    Writer *w = writer;
    if (w == NULL)
        return;
    if (w->manifest_fd >= 0)
        close(w->manifest_fd);
    g_hash_table_unref(w->known);
    g_free(w->state);
    g_free(w->root);
    g_free(w->cdir);
    g_free(w->mdir);
    g_free(w);
}

/* ---- rollback ---- */

/* Undoes the changes the run of ctx recorded, last first. */
static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    if (ctx == NULL || ctx->work_dir == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "cannot roll back the configuration of %s: no run work directory given", root);
        return FALSE;
    }
    char *state = g_build_filename(ctx->work_dir, "config-files", NULL);
    GPtrArray *lines = manifest_read(state, error);
    if (lines == NULL) {
        g_free(state);
        return FALSE;
    }
    char *croot = g_canonicalize_filename(root, NULL);
    gboolean ok = TRUE;
    for (guint i = lines->len; i-- > 0 && ok;) {
        char **f = lines->pdata[i];
        const char *what = f[0], *path = f[1];
        gboolean below =
            path_within(path, croot) && (strcmp(path, croot) != 0 || strcmp(what, "mkdir") == 0);
        if (!below || strstr(path, "/../") != NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "the run's record names %s, which is not below %s: refusing to undo it",
                        path, croot);
            ok = FALSE;
        } else if (strcmp(what, "created") == 0) {
            if (unlink(path) != 0 && errno != ENOENT) {
                int e = errno;
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot remove %s: %s", path,
                            g_strerror(e));
                ok = FALSE;
            }
        } else if (strcmp(what, "mkdir") == 0) {
            /* left in place when something else was put there since */
            if (rmdir(path) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
                int e = errno;
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot remove directory %s: %s", path,
                            g_strerror(e));
                ok = FALSE;
            }
        } else {
            char *bp = backup_path(state, path);
            GBytes *old;
            guint32 mode;
            if (!read_exact(bp, &old, &mode, error)) {
                g_prefix_error(error, "cannot restore %s from its backup: ", path);
                ok = FALSE;
            } else {
                gsize len;
                gconstpointer data = g_bytes_get_data(old, &len);
                ok = msm_write_file_atomic(path, data ? data : "", len, mode, error);
                g_bytes_unref(old);
            }
            g_free(bp);
        }
    }
    g_free(croot);
    g_ptr_array_unref(lines);
    g_free(state);
    return ok;
}

static const MsmCodec config_files_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "config-files",
    .kind = MSM_KIND_CONFIG,
    .versions = all_versions,
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
msm_core_config_files_codec(void)
{
    return &config_files_codec;
}
