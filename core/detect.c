/*
 * NAME
 *	detect.c - which versions a deployment root can hold
 * SUMMARY
 *	Implements core/detect.h with the rules of docs/formats/layout.md §1
 *	and §3: the kind of root (msg_svr_base, server root, host image), the
 *	files that tell the product families apart, the messaging64 narrowing,
 *	and the history file that gives the exact version.
 * DESCRIPTION
 *	Every rule that matches adds one evidence line naming the file it saw
 *	and the source of the rule. Candidates are kept in product order. When
 *	several remain and no consistent history names one, the result is
 *	ambiguous and msm_detection_pick() asks for --from: detection never
 *	guesses. The history file is parsed here minimally (last "entry N"
 *	group, key "to") so that a damaged history never stops detection; it is
 *	reported in the evidence instead.
 * DIAGNOSTICS
 *	msm_detect() fails (MSM_ERROR_IO) only when the root cannot be read:
 *	missing, not a directory, or unreadable, naming the path and the
 *	system's reason. msm_detection_pick() fails with MSM_ERROR_NOT_FOUND
 *	(nothing detected, or --from not allowed by the layout) or
 *	MSM_ERROR_AMBIGUOUS (several candidates: pass --from).
 */
#include "config.h"

#include "util.h"

#include "detect.h"

#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What one product path turned out to hold. */
typedef struct {
    char *family;     /* NULL if nothing recognised */
    GPtrArray *cands; /* const char* static ids */
    char *base;
    GPtrArray *instances; /* char* */
} Find;

static const char *const ids_unified[] = {"ms-7.0.5", "ms-8.0", "ms-8.0.1",
                                          "ms-8.0.2", "ms-8.1", NULL};
static const char *const ids_legacy63[] = {"ms-6.3",   "ms-7.0",   "ms-7.0.5", "ms-8.0",
                                           "ms-8.0.1", "ms-8.0.2", "ms-8.1",   NULL};
static const char *const ids_6062[] = {"ms-6.0", "ms-6.1", "ms-6.2", "ms-6.2p3", NULL};
static const char *const ids_nms4[] = {"nms-4.0", "nms-4.1", NULL};
static const char *const ids_nms3[] = {"nms-3.x", NULL};
static const char *const ids_ims52[] = {"ims-5.2", NULL};
static const char *const ids_sims[] = {"sims-4.0", NULL};

static const char *const sims_paths[] = {"etc/opt/SUNWmail", "opt/SUNWmail", "var/opt/SUNWmail",
                                         NULL};
static const char *const ms_bases[] = {"opt/SUNWmsgsr", "opt/sun/comms/messaging",
                                       "opt/sun/comms/messaging64", NULL};
static const char *const server_roots[] = {"usr/netscape/server4", "usr/iplanet/server5", NULL};

/* The static canonical id equal to id, or NULL. */
static const char *
static_id(const char *id)
{
    if (id == NULL)
        return NULL;
    for (const char *const *v = msm_version_all(); *v; v++)
        if (strcmp(*v, id) == 0)
            return *v;
    return NULL;
}

/* Adds a formatted evidence line. */
static void G_GNUC_PRINTF(2, 3) evidence(MsmDetection *det, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(det->evidence, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* Orders a GPtrArray of version ids in product order. */
static gint
cmp_versionp(gconstpointer a, gconstpointer b)
{
    return msm_version_compare(*(char *const *)a, *(char *const *)b);
}

/* A new find. (transfer full) */
static Find *
find_new(const char *family, const char *const *ids, const char *base)
{
    Find *f = g_new0(Find, 1);
    f->family = g_strdup(family);
    f->cands = g_ptr_array_new();
    for (const char *const *i = ids; i && *i; i++)
        g_ptr_array_add(f->cands, (gpointer)static_id(*i));
    f->base = g_strdup(base);
    f->instances = g_ptr_array_new_with_free_func(g_free);
    return f;
}

/* Frees a find. */
static void
find_free(gpointer p)
{
    Find *f = p;
    g_free(f->family);
    g_ptr_array_unref(f->cands);
    g_free(f->base);
    g_ptr_array_unref(f->instances);
    g_free(f);
}

/* The instance names (without "msg-") of dir, sorted. (transfer full) */
static GPtrArray *
list_instances(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return names;
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        if (g_str_has_prefix(n, "msg-") && n[4] != '\0' && msm_has_dir(dir, n))
            g_ptr_array_add(names, g_strdup(n + 4));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    return names;
}

/* layout.md §1 kind (c). */
static gboolean
looks_like_base(const char *dir)
{
    return msm_has_dir(dir, "config") &&
           (msm_has_dir(dir, "data") || msm_has_path(dir, "config/config.xml") ||
            msm_has_path(dir, "config/msg.conf.defaults") || msm_has_path(dir, "config/msg.conf"));
}

/* layout.md §3.1: a msg_svr_base. NULL (with evidence) if its config/ says nothing. */
static Find *
detect_base(MsmDetection *det, const char *base)
{
    char *cfg = g_build_filename(base, "config", NULL);
    Find *f = NULL;
    if (msm_has_path(cfg, "config.xml")) {
        f = find_new("ms-7.0.5+ unified", ids_unified, base);
        evidence(det,
                 "%s/config.xml present: Unified Configuration, Messaging Server 7 Update 5 or "
                 "later (domain-facts 1.5 [I] QA detector, [C] UC from 7.0.5)",
                 cfg);
        if (msm_has_path(cfg, "msg.conf"))
            evidence(det,
                     "%s/msg.conf present too: legacy files kept after the conversion (seed 004: "
                     "legacy-config); config.xml wins",
                     cfg);
    } else if (msm_has_path(cfg, "msg.conf.defaults")) {
        f = find_new("ms-6.3+ legacy", ids_legacy63, base);
        evidence(det,
                 "%s/msg.conf.defaults present: legacy configuration of 6.3 or later "
                 "(domain-facts 1.1 [C])",
                 cfg);
    } else if (msm_has_path(cfg, "msg.conf")) {
        f = find_new("ms-6.0-6.2", ids_6062, base);
        evidence(det,
                 "%s/msg.conf without msg.conf.defaults: Messaging Server 6.0 to 6.2 "
                 "(domain-facts 1.1 [C], 1.5 [I])",
                 cfg);
    } else {
        evidence(det,
                 "%s looks like a msg_svr_base (config/%s) but config/ holds none of config.xml, "
                 "msg.conf.defaults, msg.conf",
                 base, msm_has_dir(base, "data") ? " and data/" : "");
    }
    g_free(cfg);
    if (f == NULL)
        return NULL;
    char *bn = g_path_get_basename(base);
    if (strcmp(bn, "messaging64") == 0) {
        GPtrArray *narrowed = g_ptr_array_new();
        for (guint i = 0; i < f->cands->len; i++)
            if (g_str_has_prefix(f->cands->pdata[i], "ms-8."))
                g_ptr_array_add(narrowed, f->cands->pdata[i]);
        if (narrowed->len > 0) {
            g_ptr_array_unref(f->cands);
            f->cands = narrowed;
            evidence(det,
                     "%s is named messaging64, the OCMS 8.x default msg_svr_base: 8.x only "
                     "(domain-facts 0 [C])",
                     base);
        } else {
            g_ptr_array_unref(narrowed);
            evidence(det,
                     "%s is named messaging64 (the OCMS 8.x default) but its configuration is of "
                     "%s: the name is not used to narrow",
                     base, f->family);
        }
    }
    g_free(bn);
    return f;
}

/* Classifies one msg-<inst> directory (layout.md §3.2): its family and ids, or
 * NULL family. */
static const char *
classify_instance(MsmDetection *det, const char *sroot, const char *inst, const char *const **ids_r)
{
    char *dir = g_strdup_printf("%s/msg-%s", sroot, inst);
    const char *family = NULL;
    *ids_r = NULL;
    if (msm_has_dir(dir, "imta")) {
        family = "ims-5.2";
        *ids_r = ids_ims52;
        evidence(det,
                 "%s/imta/ present: iMS 5.x took its MTA from SIMS (domain-facts 0 [C]; the "
                 "msg-<instance>/imta place is the model of layout.md)",
                 dir);
    } else if (msm_has_path(dir, "store/mboxlist/folder.db")) {
        family = "ims-5.2";
        *ids_r = ids_ims52;
        evidence(det, "%s/store/mboxlist/folder.db present: iMS store (seed 003 [C])", dir);
    } else if (msm_has_dir(dir, "store/partition") || msm_has_dir(dir, "store/mboxlist")) {
        family = "nms-4.x";
        *ids_r = ids_nms4;
        evidence(det,
                 "%s/store/%s present without imta/: NMS 4.x store (seed 002 [C]); 4.0 and 4.1 "
                 "have the same layout",
                 dir, msm_has_dir(dir, "store/partition") ? "partition" : "mboxlist");
    } else if (msm_has_dir(dir, "mailbox")) {
        family = "nms-3.x";
        *ids_r = ids_nms3;
        evidence(det,
                 "%s/mailbox/ present without store/: NMS 3.x default mailbox directory "
                 "(domain-facts 3.4 [NF]: layout.md model)",
                 dir);
    } else {
        evidence(det,
                 "%s holds none of imta/, store/partition/, store/mboxlist/, mailbox/: not a "
                 "known instance",
                 dir);
    }
    g_free(dir);
    return family;
}

/* layout.md §3.2: a server root. NULL if it has no msg-* directory. */
static Find *
detect_server_root(MsmDetection *det, const char *sroot)
{
    GPtrArray *names = list_instances(sroot);
    if (names->len == 0) {
        g_ptr_array_unref(names);
        return NULL;
    }
    Find *f = find_new(NULL, NULL, sroot);
    GPtrArray *families = g_ptr_array_new();
    for (guint i = 0; i < names->len; i++) {
        const char *const *ids;
        const char *fam = classify_instance(det, sroot, names->pdata[i], &ids);
        g_ptr_array_add(f->instances, g_strdup(names->pdata[i]));
        if (fam == NULL)
            continue;
        if (!g_ptr_array_find_with_equal_func(families, fam, g_str_equal, NULL))
            g_ptr_array_add(families, (gpointer)fam);
        for (const char *const *id = ids; *id; id++)
            if (!g_ptr_array_find(f->cands, static_id(*id), NULL))
                g_ptr_array_add(f->cands, (gpointer)static_id(*id));
    }
    if (families->len > 0) {
        g_ptr_array_add(families, NULL);
        f->family = g_strjoinv(" + ", (char **)families->pdata);
    }
    g_ptr_array_sort(f->cands, cmp_versionp);
    g_ptr_array_unref(families);
    g_ptr_array_unref(names);
    return f;
}

/* layout.md §3.3: the SIMS trees of a host image. NULL if none. */
static Find *
detect_sims(MsmDetection *det, const char *root)
{
    gboolean any = FALSE;
    for (const char *const *p = sims_paths; *p; p++) {
        if (msm_has_dir(root, *p)) {
            evidence(det, "%s/%s present: SIMS 4.0 default install root (domain-facts 0 [C])", root,
                     *p);
            any = TRUE;
        }
    }
    if (!any)
        return NULL;
    static const char *const cnf[] = {"ims/ims.cnf", "sims.cnf", "imta/imta.cnf", NULL};
    char *etc = g_build_filename(root, "etc/opt/SUNWmail", NULL);
    for (const char *const *c = cnf; *c; c++)
        if (msm_has_path(etc, *c))
            evidence(det, "%s/%s present (domain-facts 1.1 [C])", etc, *c);
    g_free(etc);
    char *base = g_build_filename(root, "opt/SUNWmail", NULL);
    Find *f = find_new("sims-4.0", ids_sims, base);
    g_free(base);
    return f;
}

/* TRUE if the host-image markers of layout.md §1 (a) are present. */
static gboolean
has_host_dirs(const char *root)
{
    return msm_has_dir(root, "etc") || msm_has_dir(root, "opt") || msm_has_dir(root, "var") ||
           msm_has_dir(root, "usr");
}

/* Reads <root>/.msmigrate/history minimally: the "to" of the highest "entry N".
 * (transfer full) or NULL, with evidence when the file exists but says nothing. */
static char *
history_version(MsmDetection *det, const char *root, char **where_r)
{
    char *path = g_build_filename(root, ".msmigrate", "history", NULL);
    *where_r = NULL;
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_free(path);
        return NULL;
    }
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    char *to = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        evidence(det, "history file %s cannot be read (%s): ignored", path, err->message);
        g_clear_error(&err);
        goto out;
    }
    gsize n = 0;
    char **groups = g_key_file_get_groups(kf, &n);
    long best = -1;
    const char *best_group = NULL;
    for (gsize i = 0; i < n; i++) {
        const char *g = groups[i];
        /* "entry N" as history.c spells it: N without leading zeros */
        if (!g_str_has_prefix(g, "entry ") || g[6] < '1' || g[6] > '9' ||
            strspn(g + 6, "0123456789") != strlen(g + 6) || strlen(g + 6) > 9)
            continue;
        long num = strtol(g + 6, NULL, 10);
        if (num > best) {
            best = num;
            best_group = g;
        }
    }
    if (best_group == NULL) {
        evidence(det, "history file %s has no \"entry N\" group: ignored", path);
    } else {
        to = g_key_file_get_string(kf, best_group, "to", NULL);
        if (to == NULL || *to == '\0') {
            evidence(det, "history file %s: [%s] has no \"to\": ignored", path, best_group);
            g_free(to);
            to = NULL;
        } else {
            *where_r = g_strdup_printf("%s [%s]", path, best_group);
        }
    }
    g_strfreev(groups);
out:
    g_key_file_free(kf);
    g_free(path);
    return to;
}

/* Merges the finds into det (layout.md §3.5). */
static void
aggregate(MsmDetection *det, GPtrArray *finds)
{
    GPtrArray *families = g_ptr_array_new();
    GPtrArray *cands = g_ptr_array_new();
    for (guint i = 0; i < finds->len; i++) {
        Find *f = finds->pdata[i];
        if (f->family != NULL)
            g_ptr_array_add(families, f->family);
        for (guint k = 0; k < f->cands->len; k++)
            if (!g_ptr_array_find(cands, f->cands->pdata[k], NULL))
                g_ptr_array_add(cands, f->cands->pdata[k]);
        for (guint k = 0; k < f->instances->len; k++)
            if (!g_ptr_array_find_with_equal_func(det->instances, f->instances->pdata[k],
                                                  g_str_equal, NULL))
                g_ptr_array_add(det->instances, g_strdup(f->instances->pdata[k]));
    }
    g_ptr_array_sort(cands, cmp_versionp);
    for (guint k = 0; k < cands->len; k++)
        g_ptr_array_add(det->candidates, g_strdup(cands->pdata[k]));
    if (families->len > 0) {
        g_ptr_array_add(families, NULL);
        det->family = g_strjoinv(" + ", (char **)families->pdata);
    }
    if (finds->len == 1)
        det->base_dir = g_strdup(((Find *)finds->pdata[0])->base);
    g_ptr_array_unref(cands);
    g_ptr_array_unref(families);
}

/* Examines root by the rules of layout.md 1 and 3. */
MsmDetection *
msm_detect(const char *root, GError **error)
{
    g_return_val_if_fail(root != NULL, NULL);
    char *r = g_canonicalize_filename(root, NULL);
    struct stat st;
    if (stat(r, &st) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "cannot examine deployment root %s: %s (name an existing directory)", r,
                    g_strerror(e));
        g_free(r);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "deployment root %s is not a directory: name the directory that holds the "
                    "deployment",
                    r);
        g_free(r);
        return NULL;
    }
    GError *derr = NULL;
    GDir *d = g_dir_open(r, 0, &derr);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "cannot read deployment root %s: %s (check its permissions)", r, derr->message);
        g_error_free(derr);
        g_free(r);
        return NULL;
    }
    g_dir_close(d);

    MsmDetection *det = g_new0(MsmDetection, 1);
    det->root = r;
    det->candidates = g_ptr_array_new_with_free_func(g_free);
    det->instances = g_ptr_array_new_with_free_func(g_free);
    det->evidence = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *finds = g_ptr_array_new_with_free_func(find_free);

    char *bn = g_path_get_basename(r);
    Find *f;
    if (g_str_has_prefix(bn, "msg-") && msm_has_dir(r, "config") && !msm_has_dir(r, "data")) {
        char *parent = g_path_get_dirname(r);
        evidence(det,
                 "%s is an instance directory (msg-<instance> with config/), not a deployment "
                 "root: pass its parent, the server root %s",
                 r, parent);
        g_free(parent);
    } else if (looks_like_base(r)) {
        if ((f = detect_base(det, r)) != NULL)
            g_ptr_array_add(finds, f);
    } else if ((f = detect_server_root(det, r)) != NULL) {
        g_ptr_array_add(finds, f);
    } else {
        if ((f = detect_sims(det, r)) != NULL)
            g_ptr_array_add(finds, f);
        for (const char *const *p = ms_bases; *p; p++) {
            char *b = g_build_filename(r, *p, NULL);
            if (msm_dir_exists(b)) {
                evidence(det,
                         "%s present: a Messaging Server 6 or later default msg_svr_base "
                         "(domain-facts 0 [C])",
                         b);
                if ((f = detect_base(det, b)) != NULL)
                    g_ptr_array_add(finds, f);
            }
            g_free(b);
        }
        for (const char *const *p = server_roots; *p; p++) {
            char *s = g_build_filename(r, *p, NULL);
            if (msm_dir_exists(s)) {
                evidence(det, "%s present: a server root (layout.md model)", s);
                if ((f = detect_server_root(det, s)) != NULL)
                    g_ptr_array_add(finds, f);
                else
                    evidence(det, "%s holds no msg-<instance> directory", s);
            }
            g_free(s);
        }
        if (finds->len == 0)
            evidence(det,
                     "nothing known at %s: looked for a msg_svr_base (config/ with config.xml, "
                     "msg.conf.defaults or msg.conf), msg-<instance> directories (a server "
                     "root), and, %s, etc/opt/SUNWmail, opt/SUNWmail, var/opt/SUNWmail, "
                     "opt/SUNWmsgsr, opt/sun/comms/messaging, opt/sun/comms/messaging64, "
                     "usr/netscape/server4, usr/iplanet/server5",
                     r, has_host_dirs(r) ? "below this host image" : "as below a host's \"/\"");
    }
    g_free(bn);
    aggregate(det, finds);
    g_ptr_array_unref(finds);

    char *where = NULL;
    char *hist = history_version(det, r, &where);
    if (hist != NULL) {
        gboolean consistent =
            g_ptr_array_find_with_equal_func(det->candidates, hist, g_str_equal, NULL);
        if (consistent) {
            det->version = g_strdup(hist);
            evidence(det, "history %s says the deployment is at %s", where, hist);
        } else {
            char *allowed = NULL;
            if (det->candidates->len > 0) {
                g_ptr_array_add(det->candidates, NULL);
                allowed = g_strjoinv(", ", (char **)det->candidates->pdata);
                g_ptr_array_remove_index(det->candidates, det->candidates->len - 1);
            }
            evidence(det,
                     "history %s says the deployment is at %s, but the files allow %s%s: "
                     "ambiguous, check the deployment and pass --from",
                     where, hist, allowed ? "only " : "no version at all", allowed ? allowed : "");
            g_free(allowed);
        }
    } else if (det->candidates->len == 1) {
        det->version = g_strdup(det->candidates->pdata[0]);
    }
    g_free(hist);
    g_free(where);
    return det;
}

/* Frees a detection. */
void
msm_detection_free(MsmDetection *det)
{
    if (det == NULL)
        return;
    g_free(det->root);
    g_free(det->family);
    g_ptr_array_unref(det->candidates);
    g_free(det->version);
    g_free(det->base_dir);
    g_ptr_array_unref(det->instances);
    g_ptr_array_unref(det->evidence);
    g_free(det);
}

/* Joins a GPtrArray of strings with sep. (transfer full) */
static char *
join(GPtrArray *a, const char *sep)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < a->len; i++) {
        if (i > 0)
            g_string_append(s, sep);
        g_string_append(s, a->pdata[i]);
    }
    return g_string_free(s, FALSE);
}

/* The version to migrate from: --from if the files allow it, else the exact one. */
const char *
msm_detection_pick(const MsmDetection *det, const char *from_override, GError **error)
{
    g_return_val_if_fail(det != NULL, NULL);
    gboolean allowed =
        from_override != NULL &&
        g_ptr_array_find_with_equal_func(det->candidates, from_override, g_str_equal, NULL);
    if (from_override != NULL && allowed)
        return static_id(from_override);
    if (from_override != NULL) {
        if (!msm_version_is_known(from_override)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "--from %s is not a canonical version id (docs/versions.md)",
                        from_override);
        } else if (det->candidates->len == 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "--from %s: no known deployment at %s (run msmigrate detect to see what "
                        "was looked for)",
                        from_override, det->root);
        } else {
            char *c = join(det->candidates, ", ");
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "--from %s does not match the files at %s, which can only be %s "
                        "(docs/formats/layout.md)",
                        from_override, det->root, c);
            g_free(c);
        }
        return NULL;
    }
    if (det->version != NULL)
        return static_id(det->version);
    if (det->candidates->len == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no known deployment at %s (run msmigrate detect to see what was looked "
                    "for)",
                    det->root);
        return NULL;
    }
    char *c = join(det->candidates, ", ");
    g_set_error(error, MSM_ERROR, MSM_ERROR_AMBIGUOUS,
                "the files at %s can be any of %s: pass --from with the version installed",
                det->root, c);
    g_free(c);
    return NULL;
}

/* What `msmigrate detect` prints. (transfer full) */
char *
msm_detection_to_text(const MsmDetection *det)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "root:       %s\n", det->root);
    g_string_append_printf(s, "family:     %s\n", det->family ? det->family : "(nothing known)");
    if (det->base_dir != NULL)
        g_string_append_printf(s, "base:       %s\n", det->base_dir);
    char *c = join(det->candidates, ", ");
    g_string_append_printf(s, "candidates: %s\n", *c ? c : "(none)");
    g_free(c);
    if (det->version != NULL)
        g_string_append_printf(s, "version:    %s (%s)\n", det->version,
                               msm_version_display_name(det->version));
    else if (det->candidates->len > 0)
        g_string_append(s, "version:    ambiguous: pass --from\n");
    else
        g_string_append(s, "version:    (none)\n");
    if (det->instances->len > 0) {
        GString *in = g_string_new(NULL);
        for (guint i = 0; i < det->instances->len; i++)
            g_string_append_printf(in, "%smsg-%s", i ? ", " : "", (char *)det->instances->pdata[i]);
        g_string_append_printf(s, "instances:  %s%s\n", in->str,
                               det->instances->len > 1 ? " (choose one with --instance)" : "");
        g_string_free(in, TRUE);
    }
    g_string_append(s, "evidence:\n");
    for (guint i = 0; i < det->evidence->len; i++)
        g_string_append_printf(s, "  - %s\n", (char *)det->evidence->pdata[i]);
    return g_string_free(s, FALSE);
}

/* Writes a string array as a JSON array under key. */
static void
json_strings(MsmJson *j, const char *key, GPtrArray *a)
{
    msm_json_key(j, key);
    msm_json_begin_array(j);
    for (guint i = 0; i < a->len; i++)
        msm_json_string(j, a->pdata[i]);
    msm_json_end_array(j);
}

/* The detection as one JSON object. (transfer full) */
char *
msm_detection_to_json(const MsmDetection *det)
{
    MsmJson *j = msm_json_new(TRUE);
    msm_json_begin_object(j);
    msm_json_kv_string(j, "root", det->root);
    msm_json_kv_string(j, "family", det->family);
    msm_json_kv_string(j, "base_dir", det->base_dir);
    json_strings(j, "candidates", det->candidates);
    msm_json_kv_string(j, "version", det->version);
    msm_json_kv_bool(j, "ambiguous", det->version == NULL && det->candidates->len > 0);
    json_strings(j, "instances", det->instances);
    json_strings(j, "evidence", det->evidence);
    msm_json_end_object(j);
    return msm_json_finish(j);
}
