/*
 * NAME
 *	hopconf.h - the configuration migrator shared by the hop plugins
 * SUMMARY
 *	Every hop's config migrator is the same loop (docs/config-hops.md):
 *	for each configuration file, rewrite the old lines the hop renames,
 *	merge the file into the new version's default template (three-way
 *	against the old version's template where the plugin ships it) with
 *	the merge engine (msmigrate/merge.h), following the hop's row of
 *	core/merge-table.c (seed 000's table for ims-5.2 -> ms-6.0), apply
 *	the hop's own edits (fixup), write <hop>/<relpath>.MERGED and
 *	.CHANGES artifacts, and hand the merged bytes on. finish() emits the
 *	template files only the new version has. A plugin describes each hop
 *	with one HcHop and calls hc_transform() / hc_finish() from its
 *	MsmConfigMigrator callbacks.
 *	Templates are embedded: plugins/<name>/templates/<version>/<relpath>
 *	compiled into an HcTemplate array by plugins/common/embed-templates.sh
 *	(docs/formats/config-templates.md). A template may hold the
 *	placeholders @HOSTNAME@, @DEFAULTDOMAIN@, @INSTANCE@ and @SECRET@,
 *	replaced by the deployment's values before use.
 * OWNERSHIP
 *	HcHop and HcTemplate tables are static (transfer none). The per-run
 *	state (HcState) is owned by hopconf.c: created at a hop's first item,
 *	freed by hc_finish(). Strings returned by hc_get()/hc_var() are owned
 *	by the state (valid until hc_finish() returns).
 * ERRORS
 *	GError in MSM_ERROR. A file that cannot be parsed or merged fails
 *	that item (MSM_RESULT_ERROR) with a message naming the file, the hop
 *	and what to do; an artifact that cannot be written stops the item too.
 * THREADS
 *	hc_transform() may run for several items at once: the state is
 *	guarded by a mutex; the fixup and custom callbacks are called with it
 *	released and must use hc_set()/hc_get() for shared values.
 */
#ifndef MSM_PLUGINS_HOPCONF_H
#define MSM_PLUGINS_HOPCONF_H

#include <msmigrate/msmigrate.h>

G_BEGIN_DECLS

/* One embedded template file. Arrays end with an element whose version is NULL. */
typedef struct {
    const char *version; /* canonical id: "ms-6.0" */
    const char *relpath; /* as the config-files codec names it: "imta.cnf", "ims/ims.cnf" */
    const char *data;
    gsize len;
} HcTemplate;

/* A line rewrite applied to an old file before it is merged (the hop's renames).
 * regex is matched per line (G_REGEX_MULTILINE); replacement is g_regex_replace's. */
typedef struct {
    const char *file; /* base-name pattern (g_pattern_match_simple) */
    const char *regex;
    const char *replacement;
    const char *note; /* the line written to CHANGES when it matched */
} HcLineRule;

/* A path rewrite applied to every old value and include that ends up in MERGED. */
typedef struct {
    const char *regex;       /* matched anywhere in the value */
    const char *replacement; /* may use \1 ... and @INSTANCE@ */
} HcPathRule;

typedef struct HcState HcState;

typedef struct HcHop HcHop;
struct HcHop {
    const char *from;
    const char *to;
    const HcTemplate *templates;    /* the plugin's embedded set */
    const HcLineRule *line_rules;   /* ended by file == NULL; may be NULL */
    const HcPathRule *path_rules;   /* ended by regex == NULL; may be NULL */
    const MsmMergeEntity *obsolete; /* ended by key == NULL; may be NULL */
    /* Files of no known format merged anyway, as pairs {base name, format name, ...,
     * NULL} ("nsmsg.conf", "configutil"): they get MERGED and CHANGES. May be NULL. */
    const char *const *extra_formats;
    /* Handles an item itself instead of merging it (a file the new version does not
     * have): returns TRUE when it did, with *result_r set. May be NULL. */
    gboolean (*custom)(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf,
                       MsmResult *result_r, GError **error);
    /* Hop-specific edits of a merged document; add one line per edit to notes
     * (hc_note). May be NULL. */
    gboolean (*fixup)(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath,
                      MsmConfDoc *merged, GPtrArray *notes, GError **error);
    /* Called by hc_finish() before the new-only templates are emitted. May be NULL. */
    gboolean (*finish)(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error);
};

/* The migrator callbacks: call them from the plugin's MsmConfigMigrator. */
MsmResult hc_transform(const HcHop *hop, MsmCtx *ctx, MsmItem *item, GError **error);
gboolean hc_finish(const HcHop *hop, MsmCtx *ctx, GError **error);

/* A template's bytes with the placeholders replaced, or NULL when the plugin has no
 * such template. (transfer full) */
GBytes *hc_template(const HcHop *hop, HcState *st, const char *version, const char *relpath);
/* The directory of a hop's artifacts: "<from>-to-<to>". (transfer full) */
char *hc_hop_dir(const HcHop *hop);
/* Writes an artifact <hop dir>/<relname>. */
gboolean hc_artifact(MsmCtx *ctx, const HcHop *hop, const char *relname, const void *data,
                     gsize len, GError **error);
/* Emits a configuration file only the new version has. Takes a reference on content. */
void hc_emit(MsmCtx *ctx, const char *relpath, GBytes *content, guint32 mode);

/* Emits relpath built by the hop itself from doc (a template the hop filled in from
 * files the new version does not have): writes its MERGED artifact and a CHANGES
 * artifact listing notes, emits it (mode) and marks it seen. */
gboolean hc_emit_built(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath,
                       MsmConfDoc *doc, GPtrArray *notes, guint32 mode, GError **error);

/* Shared per-run values (collected parameters), thread-safe. hc_get, hc_var: (transfer
 * none), valid until the value is set again: read values another item may still set
 * only in finish(), which runs alone. */
void hc_set(HcState *st, const char *name, const char *value);
const char *hc_get(HcState *st, const char *name);
/* A placeholder's value ("HOSTNAME"). (transfer none) */
const char *hc_var(HcState *st, const char *name);
/* TRUE if relpath went through this hop as an item. */
gboolean hc_seen(HcState *st, const char *relpath);
/* Records relpath as handled, so hc_finish() does not emit its template. */
void hc_mark_seen(HcState *st, const char *relpath);
/* The merged bytes of imta.cnf, job_controller.cnf or msg.conf for finish() checks
 * (cnbuild), or of a file hc_emit_built() made; NULL otherwise. (transfer none) */
GBytes *hc_merged(HcState *st, const char *relpath);
/* Adds a line to the hop's SUMMARY artifact. */
void hc_summary(HcState *st, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Appends a formatted line to notes (a CHANGES "hop" line). */
void hc_note(GPtrArray *notes, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Sets key in a merged configutil-like document and notes it ("set" / "changed"). */
gboolean hc_doc_set(MsmConfDoc *doc, const char *key, const char *value, const char *why,
                    GPtrArray *notes, GError **error);
/* Parses bytes in the format of relpath (or fmt_name when not NULL). (transfer full) */
MsmConfDoc *hc_parse(const char *relpath, const char *fmt_name, GBytes *bytes, GError **error);

/* Defines `const MsmConfigMigrator name` whose callbacks run hop (an HcHop). */
#define HC_MIGRATOR(name, hop)                                                                     \
    static MsmResult name##_transform(MsmCtx *ctx, MsmItem *item, GError **error)                  \
    {                                                                                              \
        return hc_transform(&(hop), ctx, item, error);                                             \
    }                                                                                              \
    static gboolean name##_finish(MsmCtx *ctx, GError **error)                                     \
    {                                                                                              \
        return hc_finish(&(hop), ctx, error);                                                      \
    }                                                                                              \
    const MsmConfigMigrator name = {.iface_version = MSM_CONFIG_IFACE_VERSION,                     \
                                    .struct_size = sizeof(MsmConfigMigrator),                      \
                                    .transform = name##_transform,                                 \
                                    .finish = name##_finish}

G_END_DECLS

#endif
