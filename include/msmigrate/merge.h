/*
 * NAME
 *	merge.h - three-way merge of configuration documents (*.MERGED, *.CHANGES)
 * SUMMARY
 *	msm_merge() combines a deployment's OLD configuration file with the
 *	NEW version's template, the way the 5.2 -> 6.x UpgradeMsg5toMsg6.pl
 *	does: a value from the old version is retained over the new version's
 *	if (a) the new version has no default value for it, or (b) the old
 *	value is not the old version's default setting. The third input, the
 *	old version's defaults, is what makes test (b) possible. The result is
 *	the MERGED document and a list of changes, one per entity, from which
 *	msm_merge_changes_text() writes the CHANGES file
 *	(docs/formats/merge-changes.md). docs/merge.md explains the rule.
 * OWNERSHIP
 *	Written on each prototype. Documents passed in are never modified.
 * ERRORS
 *	GError in MSM_ERROR: MSM_ERROR_INVALID_ARGUMENT when the documents are
 *	of different formats or the merge needs a change the format cannot
 *	express (msm_confdoc_set); MSM_ERROR_PARSE if a document cannot be
 *	copied (its bytes no longer parse).
 */
#ifndef MSMIGRATE_MERGE_H
#define MSMIGRATE_MERGE_H

#include <glib.h>
#include <msmigrate/confdoc.h>

G_BEGIN_DECLS

/* What the merge did with one entity. */
typedef enum {
    MSM_MERGE_SAME = 0,       /* same value in old and new: nothing to say (not in CHANGES) */
    MSM_MERGE_KEPT_OLD,       /* both have it, values differ: the old value is in MERGED */
    MSM_MERGE_TOOK_NEW,       /* old value was the old default: the new default is in MERGED */
    MSM_MERGE_ONLY_OLD,       /* only in the old version: carried (merged_value set) or not */
    MSM_MERGE_ONLY_NEW,       /* only in the new version: in MERGED unless keep_old_structure */
    MSM_MERGE_OBSOLETE,       /* old entity obsolete in the new version: dropped */
    MSM_MERGE_PATH_REWRITTEN, /* an include or value whose installation path was rewritten */
} MsmMergeAction;

/* One entity's outcome. Every string is owned by the change (msm_merge_change_free). */
typedef struct {
    MsmMergeAction action;
    MsmConfNodeType node_type; /* MSM_CONF_ENTRY; MSM_CONF_INCLUDE (key = the file referred
                                * to); MSM_CONF_VERBATIM (key = its first line, trimmed) */
    char *section;      /* "" at the top level */
    char *key;
    char *old_value;    /* the old document's value; NULL if it has none */
    char *new_value;    /* the new template's value; NULL if it has none */
    char *old_default;  /* the old version's default; NULL if none or not known */
    char *merged_value; /* the value (or include path) in MERGED; NULL = not in MERGED */
    char *reason;       /* why, one sentence; NULL for SAME */
} MsmMergeChange;

/* An entity named in a rules table. section NULL means "" (the top level). */
typedef struct {
    const char *section;
    const char *key;
    const char *reason; /* why it is obsolete; NULL for a generic sentence */
} MsmMergeEntity;

/* A path prefix substitution for msm_merge_rewrite_paths(). */
typedef struct {
    const char *from; /* "/server-root/msg-budgie/imta/config/" */
    const char *to;   /* "/opt/SUNWmsgsr/config/" */
} MsmMergePathMap;

/* How a file is merged. A zero-filled struct (or rules == NULL) means: no obsolete
 * entities, merge into the new template, carry old-only entities, no path rewrites. */
typedef struct MsmMergeRules {
    /* Old entities obsolete in the new version: a table ended by an element with key
     * NULL (keys compare as the format compares them), and/or a callback returning TRUE
     * for an obsolete entity, optionally setting *reason_r (transfer full). */
    const MsmMergeEntity *obsolete;
    gboolean (*is_obsolete)(const char *section, const char *key, const char *value,
                            char **reason_r, gpointer data);
    /* TRUE for imta.cnf-like files: MERGED is the OLD document, changed only by path
     * rewrites and by dropping obsolete entities; values that differ from the new
     * template are kept (KEPT_OLD) and new entities are reported (ONLY_NEW), not added. */
    gboolean keep_old_structure;
    /* Rewrites installation paths in an old value or include path: NULL when unchanged,
     * else the new text (transfer full). Applied to every INCLUDE of the old document
     * and to every old value that ends up in MERGED. May be NULL. */
    char *(*rewrite_path)(const char *value, gpointer data);
    /* TRUE: entities only in the old version are listed but not carried into MERGED. */
    gboolean drop_old_only;
    /* Labels used in reasons ("5.2", "6.0"); NULL: "old" / "new". */
    const char *from_version;
    const char *to_version;
    gpointer data; /* passed to is_obsolete and rewrite_path */
} MsmMergeRules;

/* Merges old_doc with new_template.
 * old_defaults: the old version's shipped file (its values are the old defaults); NULL
 *   when not known: an old value that differs from the new default is then kept, and
 *   reason says the test could not be made.
 * new_template: the new version's shipped file; NULL when the file does not exist in
 *   the new version (MERGED is then the old document with paths rewritten, and every
 *   entity is ONLY_OLD).
 * rules: may be NULL (defaults above).
 * changes_r: if not NULL, receives every entity's MsmMergeChange, SAME included, in
 *   this order: old entities (old document order; includes and verbatim lines among
 *   them), then new-only entities (template order). (transfer full: g_ptr_array_unref
 *   frees the changes too.)
 * All documents must have the same format. Never loses an old entity silently: each
 * ends up in MERGED or has a change with merged_value NULL (OBSOLETE or ONLY_OLD).
 * Returns the MERGED document (transfer full: msm_confdoc_free), NULL with *error set. */
MsmConfDoc *msm_merge(const MsmConfDoc *old_doc, const MsmConfDoc *old_defaults,
                      const MsmConfDoc *new_template, const MsmMergeRules *rules,
                      GPtrArray **changes_r, GError **error);

/* The text of a CHANGES file (docs/formats/merge-changes.md) for file, merged from
 * version from to version to; SAME changes are left out. from/to NULL: "old"/"new".
 * (transfer full: g_free) */
char *msm_merge_changes_text(const char *file, const char *from, const char *to,
                             const GPtrArray *changes);

/* The action's name in CHANGES files: "same", "kept-old", ... (transfer none, static) */
const char *msm_merge_action_name(MsmMergeAction action);

/* A ready-made rewrite_path callback: data is a const MsmMergePathMap* ended by an
 * element with from NULL; every occurrence of each from (longest first where they
 * overlap at one position) is replaced by its to. NULL when nothing matched.
 * (transfer full) */
char *msm_merge_rewrite_paths(const char *value, gpointer data);

/* Frees a change; NULL is allowed. */
void msm_merge_change_free(MsmMergeChange *change);

/* TRUE when key names a secret (password, bind credential, key passphrase ...):
 * msm_merge_changes_text() then shows only whether its values are set and equal,
 * never the values. Case-insensitive substring match, docs/formats/merge-changes.md. */
gboolean msm_merge_key_is_secret(const char *key);

G_END_DECLS

#endif
