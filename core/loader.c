/*
 * NAME
 *	loader.c - finds, checks and loads plugin shared objects
 * SUMMARY
 *	The only file of msmigrate that includes <ltdl.h>.
 * DESCRIPTION
 *	Search order: the --plugin-dir directories, then MSMIGRATE_PLUGIN_PATH
 *	(':'-separated; ignored when the process is privileged, as Cyrus SASL
 *	does in set-uid programs), then the compiled-in PLUGINDIR. In each
 *	directory, files are taken in name order; "<name>.la" (a libtool build
 *	tree) is preferred to "<name>.so". The first plugin of a name wins.
 *
 *	Before a file is opened (opening runs its constructors), the file and
 *	the shared object it names are refused when writable by group or
 *	others. After opening, the descriptor symbol is looked up, its
 *	abi_version checked before anything else, then struct_size, then the
 *	fields (registry.c msm_descriptor_validate), then hop conflicts with
 *	plugins already loaded, then init() is called.
 * DIAGNOSTICS
 *	Every refusal is recorded once in the registry as a broken plugin with
 *	the file, the reason and a fix a person can act on. Broken plugins
 *	never make loading fail.
 */
#include "config.h"

#include "registry.h"
#include "catalogue.h"
#include "util.h"

#include <ltdl.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    lt_dlhandle handle;
    const MsmPluginDescriptor *desc;
} LoadedHandle;


/* Reads dlname='...' from a libtool archive. (transfer full) */
static char *
la_dlname(const char *la_path)
{
    char *text = NULL;
    char *result = NULL;
    if (!g_file_get_contents(la_path, &text, NULL, NULL))
        return NULL;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "dlname='")) {
            char *v = *l + strlen("dlname='");
            char *end = strchr(v, '\'');
            if (end && end > v)
                result = g_strndup(v, end - v);
            break;
        }
    }
    g_strfreev(lines);
    g_free(text);
    return result;
}

/* TRUE when path is writable by group or others; *mode_r gets its mode. */
static gboolean
writable_by_others(const char *path, guint *mode_r)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return FALSE;
    *mode_r = st.st_mode & 07777;
    return (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

static char *
copy_dlerror(void)
{
    const char *e = lt_dlerror();
    return g_strdup(e ? e : "unknown libltdl error");
}

/* Loads one plugin file; records it as loaded or broken. */
static void
load_file(MsmRegistry *reg, const char *dir, const char *file)
{
    char *path = g_build_filename(dir, file, NULL);
    const char *dot = strrchr(file, '.');
    char *name = g_strndup(file, dot - file);
    char *sym_id = msm_plugin_symbol_name(name);
    char *symbol = g_strdup_printf("msm_plugin_%s_descriptor", sym_id);
    char *so_path = NULL;
    char *reason = NULL;
    char *fix = NULL;
    lt_dlhandle h = NULL;
    guint mode = 0;

    if (g_str_has_suffix(file, ".la")) {
        char *dlname = la_dlname(path);
        if (dlname) {
            so_path = g_build_filename(dir, ".libs", dlname, NULL);
            if (!g_file_test(so_path, G_FILE_TEST_EXISTS)) {
                g_free(so_path);
                so_path = g_build_filename(dir, dlname, NULL);
            }
            g_free(dlname);
        }
    }
    const char *checks[2] = {path, so_path};
    for (int i = 0; i < 2; i++) {
        if (checks[i] && writable_by_others(checks[i], &mode)) {
            reason = g_strdup_printf("refusing %s: it is writable by group or others (mode %04o), "
                                     "so anyone could replace the code msmigrate would run",
                                     checks[i], mode);
            fix = g_strdup_printf("chmod go-w %s (and check who changed it)", checks[i]);
            goto broken;
        }
    }

    h = lt_dlopen(path);
    if (h == NULL) {
        char *e = copy_dlerror();
        reason = g_strdup_printf("cannot load: %s", e);
        fix = g_strdup_printf("check that the libraries it needs are installed (ldd %s)",
                              so_path ? so_path : path);
        g_free(e);
        goto broken;
    }
    const MsmPluginDescriptor *desc = lt_dlsym(h, symbol);
    if (desc == NULL) {
        reason = g_strdup_printf("no symbol %s: not an msmigrate plugin, or built under "
                                 "another name",
                                 symbol);
        fix = g_strdup_printf("remove %s from the plugin directory, or rebuild it with "
                              "MSM_PLUGIN_DEFINE(%s, ...)",
                              path, sym_id);
        goto broken;
    }
    if (desc->abi_version != MSM_ABI_VERSION) {
        reason = g_strdup_printf("built for plugin ABI %u; this msmigrate has ABI %u",
                                 desc->abi_version, MSM_ABI_VERSION);
        char *pkg = msm_catalogue_package_for(name);
        fix = g_strdup_printf("install the %s package built for msmigrate-abi-%u, or rebuild "
                              "the plugin against this msmigrate's SDK",
                              pkg, MSM_ABI_VERSION);
        g_free(pkg);
        goto broken;
    }
    if (desc->struct_size < sizeof(MsmPluginDescriptor)) {
        reason = g_strdup_printf("descriptor is %u bytes; ABI %u needs %zu", desc->struct_size,
                                 MSM_ABI_VERSION, sizeof(MsmPluginDescriptor));
        fix = g_strdup("rebuild the plugin against this msmigrate's SDK");
        goto broken;
    }
    if (!msm_descriptor_validate(desc, name, &reason, &fix))
        goto broken;
    for (const MsmHop *hop = desc->hops; hop && hop->from; hop++) {
        const MsmHopRef *other = msm_registry_find_hop(reg, hop->from, hop->to);
        if (other) {
            reason = g_strdup_printf("declares hop %s -> %s, which plugin %s (%s) already "
                                     "provides; %s is not used",
                                     hop->from, hop->to, other->plugin->name, other->plugin->path,
                                     name);
            fix = g_strdup_printf("keep one of the two: remove the package or file of %s or of %s",
                                  name, other->plugin->name);
            goto broken;
        }
    }
    if (desc->init) {
        GError *err = NULL;
        if (!desc->init(&err)) {
            reason = g_strdup_printf("its initialisation failed: %s",
                                     err ? err->message : "no reason given");
            fix = g_strdup("correct what the message says, or remove the plugin");
            g_clear_error(&err);
            goto broken;
        }
    }

    LoadedHandle *lh = g_new0(LoadedHandle, 1);
    lh->handle = h;
    lh->desc = desc;
    g_ptr_array_add(msm_registry_handles(reg), lh);
    msm_registry_add_plugin(reg, path, desc);
    goto out;

broken:
    if (h)
        lt_dlclose(h);
    msm_registry_add_broken(reg, path, name, reason, fix);
out:
    g_free(reason);
    g_free(fix);
    g_free(so_path);
    g_free(symbol);
    g_free(sym_id);
    g_free(name);
    g_free(path);
}

/* Plugin files of dir in name order: <name>.la preferred over <name>.so. (transfer full) */
static GPtrArray *
list_plugin_files(const char *dir)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return files;
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *e;
    while ((e = g_dir_read_name(d)) != NULL) {
        gboolean la = g_str_has_suffix(e, ".la");
        if (!la && !g_str_has_suffix(e, ".so"))
            continue;
        char *name = g_strndup(e, strlen(e) - 3);
        const char *have = g_hash_table_lookup(seen, name);
        if (have == NULL || la)
            g_hash_table_insert(seen, name, g_strdup(e));
        else
            g_free(name);
    }
    g_dir_close(d);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, seen);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_ptr_array_add(files, g_strdup(v));
    g_hash_table_unref(seen);
    g_ptr_array_sort(files, msm_strcmp_ptr);
    return files;
}

gboolean
msm_registry_load(MsmRegistry *reg, const char *const *extra_dirs, gboolean use_default_dir,
                  GError **error)
{
    gboolean *inited = msm_registry_ltdl_flag(reg);
    if (!*inited) {
        /* lt_dlinit()/lt_dlexit() are reference-counted by libltdl itself. */
        if (lt_dlinit() != 0) {
            char *e = copy_dlerror();
            g_set_error(error, MSM_ERROR, MSM_ERROR_PLUGIN, "cannot initialise libltdl: %s", e);
            g_free(e);
            return FALSE;
        }
        *inited = TRUE;
    }
    for (const char *const *d = extra_dirs; d && *d; d++)
        msm_registry_add_search_dir(reg, *d);
    const char *env = g_getenv("MSMIGRATE_PLUGIN_PATH");
    if (env && *env && !msm_is_privileged()) {
        char **parts = g_strsplit(env, ":", -1);
        for (char **p = parts; *p; p++)
            if (**p)
                msm_registry_add_search_dir(reg, *p);
        g_strfreev(parts);
    }
    if (use_default_dir)
        msm_registry_add_search_dir(reg, PLUGINDIR);

    GPtrArray *dirs = msm_registry_search_path(reg);
    for (guint i = 0; i < dirs->len; i++) {
        const char *dir = dirs->pdata[i];
        GPtrArray *files = list_plugin_files(dir);
        for (guint j = 0; j < files->len; j++) {
            const char *f = files->pdata[j];
            char *name = g_strndup(f, strlen(f) - 3);
            /* The first plugin of a name in the search order wins. */
            if (!msm_registry_has_plugin(reg, name))
                load_file(reg, dir, f);
            g_free(name);
        }
        g_ptr_array_unref(files);
    }
    return TRUE;
}

/* Calls fini() of every loaded plugin and closes the handles, in reverse order. */
void
msm_loader_close_all(GPtrArray *handles, gboolean *ltdl_inited)
{
    for (guint i = handles->len; i > 0; i--) {
        LoadedHandle *lh = handles->pdata[i - 1];
        if (lh->desc->fini)
            lh->desc->fini();
        lt_dlclose(lh->handle);
        g_free(lh);
    }
    g_ptr_array_set_size(handles, 0);
    if (*ltdl_inited) {
        lt_dlexit();
        *ltdl_inited = FALSE;
    }
}
