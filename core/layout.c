/*
 * NAME
 *	layout.c - where a deployment of a given version keeps each kind of data
 * SUMMARY
 *	Implements include/msmigrate/layout.h with the rules of
 *	docs/formats/layout.md §1, §2 and §4 (each rule there names its source
 *	in reference/domain-facts.md or the seeds, or says it is the project's
 *	model).
 * DESCRIPTION
 *	A root is a host image (a directory standing for "/"), a server root
 *	(msg-<instance> directories) or a msg_svr_base (config/, data/). SIMS
 *	always uses the host-image form. For the other versions the root is
 *	taken as the version's own kind of directory unless it is a host
 *	image, in which case the product's default install path below it is
 *	used (an existing one that detection says holds the version first).
 *	Nothing is required to exist: an empty target resolves to defaults.
 * DIAGNOSTICS
 *	MSM_ERROR_NOT_FOUND for an unknown version id; MSM_ERROR_UNSAFE for an
 *	instance name that is not one path component; MSM_ERROR_AMBIGUOUS when
 *	a server root holds several instances and none was chosen, listing
 *	them and asking for --instance (seed 000: only one 5.2 instance can be
 *	upgraded).
 */
#include "config.h"

#include "util.h"

#include <msmigrate/msmigrate.h>

#include "detect.h"

#include <string.h>
#include <sys/stat.h>

struct MsmLayout {
    const char *version; /* static canonical id */
    char *instance;      /* NULL for versions without instances */
    char *base;
    char *config;
    char *mta_config;
    char *store;
    char *queue;
    char *run;
};

/* Product paths of a host image (layout.md §1). */
static const char *const sims_paths[] = {"etc/opt/SUNWmail", "opt/SUNWmail", "var/opt/SUNWmail",
                                         NULL};
static const char *const ms_paths_6x[] = {"opt/sun/comms/messaging", "opt/SUNWmsgsr",
                                          "opt/sun/comms/messaging64", NULL};
static const char *const ms_paths_8x[] = {"opt/sun/comms/messaging64", "opt/sun/comms/messaging",
                                          "opt/SUNWmsgsr", NULL};
static const char *const nms_roots[] = {"usr/netscape/server4", "usr/iplanet/server5", NULL};
static const char *const ims_roots[] = {"usr/iplanet/server5", "usr/netscape/server4", NULL};

/* layout.md §1 kind (c): config/ and data/, or config/ with a configuration file. */
static gboolean
looks_like_base(const char *dir)
{
    return msm_has_dir(dir, "config") &&
           (msm_has_dir(dir, "data") || msm_has_path(dir, "config/config.xml") ||
            msm_has_path(dir, "config/msg.conf.defaults") || msm_has_path(dir, "config/msg.conf"));
}

/* The instance names (without "msg-") of a server root, sorted. (transfer full) */
static GPtrArray *
list_instances(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return names;
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL) {
        if (g_str_has_prefix(n, "msg-") && n[4] != '\0' && msm_has_dir(dir, n))
            g_ptr_array_add(names, g_strdup(n + 4));
    }
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    return names;
}

/* TRUE if any product path of layout.md §1 exists below root. */
static gboolean
has_product_path(const char *root)
{
    const char *const *lists[] = {sims_paths, ms_paths_6x, nms_roots};
    for (guint l = 0; l < G_N_ELEMENTS(lists); l++)
        for (const char *const *p = lists[l]; *p; p++)
            if (msm_has_dir(root, *p))
                return TRUE;
    return FALSE;
}

/* layout.md §1 kind (a): a directory standing for a host's "/". */
static gboolean
is_host_image(const char *root)
{
    if (has_product_path(root))
        return TRUE;
    if (looks_like_base(root))
        return FALSE;
    GPtrArray *inst = list_instances(root);
    gboolean server_root = inst->len > 0;
    g_ptr_array_unref(inst);
    if (server_root)
        return FALSE;
    return msm_has_dir(root, "etc") || msm_has_dir(root, "opt") || msm_has_dir(root, "var") ||
           msm_has_dir(root, "usr");
}

/* TRUE if detection of dir allows version. */
static gboolean
detected_as(const char *dir, const char *version)
{
    MsmDetection *det = msm_detect(dir, NULL);
    gboolean ok = FALSE;
    if (det != NULL) {
        for (guint i = 0; i < det->candidates->len && !ok; i++)
            ok = strcmp(det->candidates->pdata[i], version) == 0;
        msm_detection_free(det);
    }
    return ok;
}

/* Picks among root/paths[i]: one that exists and holds instance (if given) or
 * detects as version, else the first that exists, else root/paths[0]. (transfer full) */
static char *
pick_below_host(const char *root, const char *const *paths, const char *version,
                const char *instance)
{
    if (instance != NULL) {
        char *inst_dir = g_strconcat("msg-", instance, NULL);
        for (const char *const *p = paths; *p; p++) {
            char *cand = g_build_filename(root, *p, NULL);
            if (msm_has_dir(cand, inst_dir)) {
                g_free(inst_dir);
                return cand;
            }
            g_free(cand);
        }
        g_free(inst_dir);
    }
    for (const char *const *p = paths; *p; p++) {
        char *cand = g_build_filename(root, *p, NULL);
        if (msm_dir_exists(cand) && detected_as(cand, version))
            return cand;
        g_free(cand);
    }
    for (const char *const *p = paths; *p; p++) {
        char *cand = g_build_filename(root, *p, NULL);
        if (msm_dir_exists(cand))
            return cand;
        g_free(cand);
    }
    return g_build_filename(root, paths[0], NULL);
}

/* TRUE if name can be an instance: one path component, not "." or "..". */
static gboolean
instance_name_ok(const char *name)
{
    return *name != '\0' && strchr(name, '/') == NULL && strchr(name, '\\') == NULL &&
           strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* The instance to use in server root sroot (layout.md §2.2). (transfer full) */
static char *
choose_instance(const char *sroot, const char *instance, GError **error)
{
    if (instance != NULL)
        return g_strdup(instance);
    GPtrArray *names = list_instances(sroot);
    char *chosen = NULL;
    if (names->len == 1) {
        chosen = g_strdup(names->pdata[0]);
    } else if (names->len == 0) {
        chosen = g_strdup("default");
    } else {
        g_ptr_array_add(names, NULL);
        char *list = g_strjoinv(", ", (char **)names->pdata);
        g_set_error(error, MSM_ERROR, MSM_ERROR_AMBIGUOUS,
                    "%s holds several instances (%s): the vendor upgrades one instance at a "
                    "time (seed 000: \"you may only choose one instance to upgrade\"); pass "
                    "--instance NAME with one of them",
                    sroot, list);
        g_free(list);
    }
    g_ptr_array_unref(names);
    return chosen;
}

/* The static canonical id equal to version, or NULL. */
static const char *
static_id(const char *version)
{
    for (const char *const *v = msm_version_all(); *v; v++)
        if (strcmp(*v, version) == 0)
            return *v;
    return NULL;
}

/* Maps root and version (and instance) to the directories of layout.md 2. */
MsmLayout *
msm_layout_resolve(const char *root, const char *version, const char *instance, GError **error)
{
    if (root == NULL || *root == '\0') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "no deployment root given: name the directory that holds the deployment");
        return NULL;
    }
    const char *id = version ? static_id(version) : NULL;
    if (id == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "cannot lay out %s for unknown version id \"%s\": use a canonical id "
                    "(docs/versions.md)",
                    root, version ? version : "(none)");
        return NULL;
    }
    const char *family = msm_version_family(id);
    gboolean has_instances = strcmp(family, "nms") == 0 || strcmp(family, "ims") == 0;
    if (has_instances && instance != NULL && !instance_name_ok(instance)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "instance name \"%s\" is not a single directory name: pass the NAME of "
                    "msg-NAME",
                    instance);
        return NULL;
    }
    char *r = g_canonicalize_filename(root, NULL);
    MsmLayout *l = g_new0(MsmLayout, 1);
    l->version = id;

    if (strcmp(family, "sims") == 0) {
        /* layout.md §2.1: the root always stands for "/". */
        l->base = g_build_filename(r, "opt/SUNWmail", NULL);
        l->config = g_build_filename(r, "etc/opt/SUNWmail", NULL);
        l->mta_config = g_build_filename(r, "etc/opt/SUNWmail/imta", NULL);
        l->store = g_build_filename(r, "var/opt/SUNWmail/ims", NULL);
        l->queue = g_build_filename(r, "var/opt/SUNWmail/imta/queue", NULL);
        l->run = g_build_filename(r, "var/opt/SUNWmail/run", NULL);
    } else if (has_instances) {
        /* layout.md §2.2 */
        char *sroot;
        GPtrArray *here = list_instances(r);
        if (here->len == 0 && is_host_image(r))
            sroot = pick_below_host(r, strcmp(family, "nms") == 0 ? nms_roots : ims_roots, id,
                                    instance);
        else
            sroot = g_strdup(r);
        g_ptr_array_unref(here);
        l->instance = choose_instance(sroot, instance, error);
        if (l->instance == NULL) {
            g_free(sroot);
            g_free(r);
            msm_layout_free(l);
            return NULL;
        }
        char *inst_dir = g_strconcat("msg-", l->instance, NULL);
        l->base = g_build_filename(sroot, inst_dir, NULL);
        g_free(inst_dir);
        g_free(sroot);
        l->config = g_build_filename(l->base, "config", NULL);
        if (strcmp(id, "ims-5.2") == 0) {
            l->mta_config = g_build_filename(l->base, "imta", "config", NULL);
            l->store = g_build_filename(l->base, "store", NULL);
            l->queue = g_build_filename(l->base, "imta", "queue", NULL);
        } else {
            l->mta_config = g_build_filename(l->base, "config", NULL);
            l->store =
                g_build_filename(l->base, strcmp(id, "nms-3.x") == 0 ? "mailbox" : "store", NULL);
            l->queue = g_build_filename(l->base, "queue", NULL);
        }
        l->run = g_build_filename(l->base, "run", NULL);
    } else {
        /* layout.md §2.3 */
        gboolean is8 = g_str_has_prefix(id, "ms-8.");
        if (!looks_like_base(r) && is_host_image(r))
            l->base = pick_below_host(r, is8 ? ms_paths_8x : ms_paths_6x, id, NULL);
        else
            l->base = g_strdup(r);
        l->config = g_build_filename(l->base, "config", NULL);
        l->mta_config = g_build_filename(l->base, "config", NULL);
        l->store = g_build_filename(l->base, "data", "store", NULL);
        l->queue = g_build_filename(l->base, "data", "queue", NULL);
        l->run = g_build_filename(l->base, "data", "run", NULL);
    }
    g_free(r);
    return l;
}

/* Frees a layout and its paths. */
void
msm_layout_free(MsmLayout *layout)
{
    if (layout == NULL)
        return;
    g_free(layout->instance);
    g_free(layout->base);
    g_free(layout->config);
    g_free(layout->mta_config);
    g_free(layout->store);
    g_free(layout->queue);
    g_free(layout->run);
    g_free(layout);
}

/* The canonical id the layout was resolved for. */
const char *
msm_layout_version(const MsmLayout *layout)
{
    return layout->version;
}

/* The instance name, or NULL for versions without instances. */
const char *
msm_layout_instance(const MsmLayout *layout)
{
    return layout->instance;
}

/* msg_svr_base, server-root/msg-<instance>, or <root>/opt/SUNWmail. */
const char *
msm_layout_base_dir(const MsmLayout *layout)
{
    return layout->base;
}

/* The configuration directory. */
const char *
msm_layout_config_dir(const MsmLayout *layout)
{
    return layout->config;
}

/* The MTA configuration directory. */
const char *
msm_layout_mta_config_dir(const MsmLayout *layout)
{
    return layout->mta_config;
}

/* The message store root. */
const char *
msm_layout_store_dir(const MsmLayout *layout)
{
    return layout->store;
}

char *
msm_layout_resolve_store_dir(const char *root, const char *version, const char *instance,
                             GError **error)
{
    MsmLayout *l = msm_layout_resolve(root, version, instance, error);
    if (l == NULL)
        return NULL;
    char *d = g_strdup(l->store);
    msm_layout_free(l);
    return d;
}

/* The MTA queue root. */
const char *
msm_layout_queue_dir(const MsmLayout *layout)
{
    return layout->queue;
}

/* The directory of the modelled pid files (layout.md 4). */
const char *
msm_layout_run_dir(const MsmLayout *layout)
{
    return layout->run;
}
