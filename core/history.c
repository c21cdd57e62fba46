/*
 * NAME
 *	history.c - the target's record of applied hops
 * SUMMARY
 *	Implements history.h. The file format is specified in
 *	docs/formats/history.md; keep the two in step.
 * DESCRIPTION
 *	<target>/.msmigrate/history is a GKeyFile: a [history] group with
 *	format=1, and one group "entry N" (N = 1, 2, ...) per applied change,
 *	with keys action, run_id, from, to, plugin, plugin_version, kinds,
 *	digest, when (ISO-8601 UTC) and note. Entries are ordered by N.
 *
 *	Appending loads the whole file, adds group "entry <max N + 1>" and
 *	writes it back atomically (msm_write_file_atomic, mode 0644). The
 *	loaded GKeyFile is what is written back, so comments, unknown keys and
 *	unknown groups written by a later msmigrate or by hand are kept.
 *	Appends are not serialised here: the deployment lock does that.
 *
 *	The deployment is at the `to` of the last entry: a hop or a baseline
 *	records the version it reached, and a rollback records the version
 *	it went back to.
 * DIAGNOSTICS
 *	MSM_ERROR_PARSE naming the file and the line (syntax) or the group and
 *	key (content), and saying to fix the file or move it aside;
 *	MSM_ERROR_IO naming the path when the file cannot be read or written;
 *	MSM_ERROR_INVALID_ARGUMENT for an entry without action or to.
 */
#include "config.h"

#include "history.h"
#include "util.h"

#include <string.h>

#define HISTORY_FORMAT 1
#define HISTORY_GROUP "history"
#define ENTRY_PREFIX "entry "
#define ADVICE "fix it or move it aside"

MsmHistoryEntry *
msm_history_entry_new(void)
{
    MsmHistoryEntry *e = g_new0(MsmHistoryEntry, 1);
    e->action = g_strdup("");
    e->run_id = g_strdup("");
    e->from = g_strdup("");
    e->to = g_strdup("");
    e->plugin = g_strdup("");
    e->plugin_version = g_strdup("");
    e->kinds = g_strdup("");
    e->digest = g_strdup("");
    e->note = g_strdup("");
    return e;
}

void
msm_history_entry_free(MsmHistoryEntry *entry)
{
    if (entry == NULL)
        return;
    g_free(entry->action);
    g_free(entry->run_id);
    g_free(entry->from);
    g_free(entry->to);
    g_free(entry->plugin);
    g_free(entry->plugin_version);
    g_free(entry->kinds);
    g_free(entry->digest);
    g_free(entry->note);
    g_free(entry);
}

/* <target_root>/.msmigrate/history. (transfer full) */
static char *
history_path(const char *target_root)
{
    return g_build_filename(target_root, ".msmigrate", "history", NULL);
}

/* The first line GKeyFile would reject (1-based), or 0 if none is found. */
static guint
find_bad_line(const char *data, gsize len)
{
    char *copy = g_strndup(data, len);
    char **lines = g_strsplit(copy, "\n", -1);
    gboolean in_group = FALSE;
    guint bad = 0;
    for (guint n = 0; lines[n] != NULL && bad == 0; n++) {
        char *line = g_strstrip(lines[n]);
        if (*line == '\0' || *line == '#')
            continue;
        if (*line == '[') {
            if (line[strlen(line) - 1] != ']' || strlen(line) < 3)
                bad = n + 1;
            in_group = TRUE;
            continue;
        }
        if (!in_group || strchr(line, '=') == NULL || *line == '=')
            bad = n + 1;
    }
    g_strfreev(lines);
    g_free(copy);
    return bad;
}

/* Loads path into a new GKeyFile; a missing file gives an empty one with
 * *exists_r FALSE. NULL with *error on failure. */
static GKeyFile *
load_keyfile(const char *path, gboolean *exists_r, GError **error)
{
    char *data = NULL;
    gsize len = 0;
    GError *local = NULL;
    GKeyFile *kf = g_key_file_new();

    *exists_r = FALSE;
    if (!g_file_get_contents(path, &data, &len, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_error_free(local);
            return kf;
        }
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read history file %s: %s", path,
                    local->message);
        g_error_free(local);
        g_key_file_free(kf);
        return NULL;
    }
    *exists_r = TRUE;
    if (!g_key_file_load_from_data(kf, data, len,
                                   G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                   &local)) {
        guint line = find_bad_line(data, len);
        if (line > 0)
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "history file %s, line %u: %s; " ADVICE, path, line, local->message);
        else
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "history file %s: %s; " ADVICE, path,
                        local->message);
        g_error_free(local);
        g_free(data);
        g_key_file_free(kf);
        return NULL;
    }
    g_free(data);
    return kf;
}

/* The entry number of group name, or 0 if it is not an "entry N" group. */
static guint64
entry_number(const char *group)
{
    guint64 n = 0;
    if (!g_str_has_prefix(group, ENTRY_PREFIX))
        return 0;
    const char *num = group + strlen(ENTRY_PREFIX);
    /* Only the canonical spelling: "entry 01" would alias "entry 1". */
    if (*num < '1' || *num > '9' ||
        !g_ascii_string_to_unsigned(num, 10, 1, G_MAXUINT32, &n, NULL))
        return 0;
    return n;
}

/* A string key of group (default "" when absent); NULL with *error if required
 * and absent or empty. */
static char *
get_key(GKeyFile *kf, const char *path, const char *group, const char *key, gboolean required,
        GError **error)
{
    char *v = g_key_file_get_string(kf, group, key, NULL);
    if (v == NULL && g_key_file_has_key(kf, group, key, NULL)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "history file %s, [%s]: key \"%s\" has a bad escape sequence; " ADVICE, path,
                    group, key);
        return NULL;
    }
    if (required && (v == NULL || *v == '\0')) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "history file %s, [%s]: key \"%s\" is missing or empty; " ADVICE, path,
                    group, key);
        g_free(v);
        return NULL;
    }
    return v != NULL ? v : g_strdup("");
}

/* Orders entries by their group number (stashed in a parallel array). */
typedef struct {
    guint64 number;
    MsmHistoryEntry *entry;
} Numbered;

/* qsort-style comparison of Numbered by number. */
static gint
cmp_numbered(gconstpointer a, gconstpointer b)
{
    const Numbered *x = a, *y = b;
    return x->number < y->number ? -1 : x->number > y->number;
}

/* Checks the [history] group and reads the entries of kf, in order; *max_r gets
 * the largest entry number (0 if none). NULL with *error if malformed. */
static GPtrArray *
parse_entries(GKeyFile *kf, const char *path, guint64 *max_r, GError **error)
{
    GPtrArray *result = NULL;
    GArray *found = g_array_new(FALSE, FALSE, sizeof(Numbered));
    gchar **groups = NULL;
    GTimeZone *utc = g_time_zone_new_utc();

    *max_r = 0;
    if (g_key_file_has_key(kf, HISTORY_GROUP, "format", NULL)) {
        char *fv = g_key_file_get_string(kf, HISTORY_GROUP, "format", NULL);
        guint64 format = 0;
        gboolean num = fv != NULL && g_ascii_string_to_unsigned(fv, 10, 1, G_MAXUINT32,
                                                                 &format, NULL);
        if (!num || format > HISTORY_FORMAT) {
            if (num)
                g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                            "history file %s, [%s]: format %s was written by a newer msmigrate "
                            "(this one reads format %d); use that version, or move it "
                            "aside",
                            path, HISTORY_GROUP, fv, HISTORY_FORMAT);
            else
                g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                            "history file %s, [%s]: format \"%s\" is not a number; " ADVICE,
                            path, HISTORY_GROUP, fv ? fv : "");
            g_free(fv);
            goto out;
        }
        g_free(fv);
    }

    groups = g_key_file_get_groups(kf, NULL);
    for (gchar **g = groups; *g != NULL; g++) {
        guint64 n = entry_number(*g);
        if (n == 0)
            continue; /* [history] or a group of a later version: kept, not read */
        MsmHistoryEntry *e = g_new0(MsmHistoryEntry, 1);
        Numbered item = {n, e};
        g_array_append_val(found, item);
        char *when = NULL;
        if ((e->action = get_key(kf, path, *g, "action", TRUE, error)) == NULL ||
            (e->run_id = get_key(kf, path, *g, "run_id", FALSE, error)) == NULL ||
            (e->from = get_key(kf, path, *g, "from", FALSE, error)) == NULL ||
            (e->to = get_key(kf, path, *g, "to", TRUE, error)) == NULL ||
            (e->plugin = get_key(kf, path, *g, "plugin", FALSE, error)) == NULL ||
            (e->plugin_version = get_key(kf, path, *g, "plugin_version", FALSE, error)) ==
                NULL ||
            (e->kinds = get_key(kf, path, *g, "kinds", FALSE, error)) == NULL ||
            (e->digest = get_key(kf, path, *g, "digest", FALSE, error)) == NULL ||
            (e->note = get_key(kf, path, *g, "note", FALSE, error)) == NULL ||
            (when = get_key(kf, path, *g, "when", TRUE, error)) == NULL)
            goto out;
        GDateTime *dt = g_date_time_new_from_iso8601(when, utc);
        if (dt == NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "history file %s, [%s]: when=%s is not an ISO-8601 time such as "
                        "2026-11-24T05:12:00Z; " ADVICE,
                        path, *g, when);
            g_free(when);
            goto out;
        }
        e->when = g_date_time_to_unix(dt);
        g_date_time_unref(dt);
        g_free(when);
        *max_r = MAX(*max_r, n);
    }
    g_array_sort(found, cmp_numbered);
    result = g_ptr_array_new_full(found->len, (GDestroyNotify)msm_history_entry_free);
    for (guint i = 0; i < found->len; i++) {
        g_ptr_array_add(result, g_array_index(found, Numbered, i).entry);
        g_array_index(found, Numbered, i).entry = NULL;
    }
out:
    for (guint i = 0; i < found->len; i++)
        msm_history_entry_free(g_array_index(found, Numbered, i).entry);
    g_array_unref(found);
    g_strfreev(groups);
    g_time_zone_unref(utc);
    return result;
}

GPtrArray *
msm_history_load(const char *target_root, GError **error)
{
    g_return_val_if_fail(target_root != NULL, NULL);
    char *path = history_path(target_root);
    gboolean exists;
    guint64 max;
    GPtrArray *entries = NULL;
    GKeyFile *kf = load_keyfile(path, &exists, error);
    if (kf != NULL) {
        entries = parse_entries(kf, path, &max, error);
        g_key_file_free(kf);
    }
    g_free(path);
    return entries;
}

/* "2026-11-24T05:12:00Z" for t. (transfer full) */
static char *
iso_time(gint64 t)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(t);
    if (dt == NULL)
        dt = g_date_time_new_from_unix_utc(0);
    char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(dt);
    return s;
}

gboolean
msm_history_append(const char *target_root, const MsmHistoryEntry *entry, GError **error)
{
    gboolean ok = FALSE;
    char *dir = NULL, *path = NULL, *group = NULL, *when = NULL, *data = NULL;
    GKeyFile *kf = NULL;
    GPtrArray *entries = NULL;
    gboolean exists;
    guint64 max = 0;

    g_return_val_if_fail(target_root != NULL && entry != NULL, FALSE);
    if (entry->action == NULL || *entry->action == '\0' || entry->to == NULL ||
        *entry->to == '\0') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "history entry for %s needs an action and a version (to)", target_root);
        return FALSE;
    }
    dir = g_build_filename(target_root, ".msmigrate", NULL);
    path = history_path(target_root);
    if (!msm_mkdir_p(dir, FALSE, error))
        goto out;
    kf = load_keyfile(path, &exists, error);
    if (kf == NULL)
        goto out;
    /* Never add to a file we cannot read: the error says what to fix. */
    entries = parse_entries(kf, path, &max, error);
    if (entries == NULL)
        goto out;
    if (!exists)
        g_key_file_set_comment(kf, NULL, NULL,
                               " msmigrate history of this deployment: one group per applied "
                               "hop,\n baseline or rollback (docs/formats/history.md).",
                               NULL);
    if (!g_key_file_has_key(kf, HISTORY_GROUP, "format", NULL))
        g_key_file_set_integer(kf, HISTORY_GROUP, "format", HISTORY_FORMAT);

    group = g_strdup_printf(ENTRY_PREFIX "%" G_GUINT64_FORMAT, max + 1);
    when = iso_time(entry->when != 0 ? entry->when : g_get_real_time() / G_USEC_PER_SEC);
    const struct {
        const char *key;
        const char *value;
    } fields[] = {
        {"action", entry->action},
        {"run_id", entry->run_id},
        {"from", entry->from},
        {"to", entry->to},
        {"plugin", entry->plugin},
        {"plugin_version", entry->plugin_version},
        {"kinds", entry->kinds},
        {"digest", entry->digest},
        {"when", when},
        {"note", entry->note},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        g_key_file_set_string(kf, group, fields[i].key, fields[i].value ? fields[i].value : "");

    gsize len = 0;
    data = g_key_file_to_data(kf, &len, NULL);
    ok = msm_write_file_atomic(path, data, len, 0644, error);
out:
    if (entries != NULL)
        g_ptr_array_unref(entries);
    if (kf != NULL)
        g_key_file_free(kf);
    g_free(data);
    g_free(when);
    g_free(group);
    g_free(path);
    g_free(dir);
    return ok;
}

const char *
msm_history_current(GPtrArray *entries)
{
    if (entries == NULL || entries->len == 0)
        return NULL;
    const MsmHistoryEntry *last = entries->pdata[entries->len - 1];
    return last->to != NULL && *last->to != '\0' ? last->to : NULL;
}
