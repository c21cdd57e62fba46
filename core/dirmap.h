/*
 * NAME
 *	dirmap.h - directory mapping: imsdirmig and commdirmig semantics, offline
 * SUMMARY
 *	Maps SIMS 4.0, NMS 3.x/4.x and Schema 1 directory entries to the iMS /
 *	Messaging Server schema (Schema 1 or Schema 2), as the table in
 *	docs/formats/directory-mapping.md says, with imsdirmig's options (-M, -m,
 *	-A, -P, -O, -F) and commdirmig's modes (-t 1|2|3, domain scoping). Pure
 *	functions (classify, filter, map one entry, diff two entries) are used by
 *	the online migrator (dir-live); msm_dirmig_offline() runs the same mapping
 *	from an LDIF export (db2ldif) to LDIF files. The delegated-admin ACI LDIF
 *	that imsdaaci generated is modelled by msm_dirmig_aci_ldif()
 *	(docs/formats/directory-aci.md).
 * OWNERSHIP
 *	Strings and entries returned are (transfer full) unless marked. Options
 *	own their strings and pairs array; msm_dirmig_options_clear() frees them.
 *	Entries passed in are borrowed unless the function says "in place".
 * ERRORS
 *	MSM_ERROR_INVALID_ARGUMENT for a bad filter ("filter '...': position N:
 *	what is wrong"), a bad -A pair, or an entry that cannot be mapped (the
 *	message names the DN and the fix); MSM_ERROR_IO / MSM_ERROR_NOT_FOUND /
 *	MSM_ERROR_PARSE for files, naming the file (and line).
 */
#ifndef MSM_CORE_DIRMAP_H
#define MSM_CORE_DIRMAP_H

#include <msmigrate/msmigrate.h>

typedef enum {
    MSM_DIRMIG_FROM_SIMS,
    MSM_DIRMIG_FROM_NMS,
    MSM_DIRMIG_FROM_SCHEMA1
} MsmDirmigFrom;

#define MSM_DIRMIG_USERS   (1u << 0)
#define MSM_DIRMIG_GROUPS  (1u << 1)
#define MSM_DIRMIG_DOMAINS (1u << 2)

typedef enum {
    MSM_DIRENT_OTHER,
    MSM_DIRENT_DOMAIN,
    MSM_DIRENT_USER,
    MSM_DIRENT_GROUP
} MsmDirentKind;

typedef struct {
    MsmDirmigFrom from;     /* -M sims|nms (imsdirmig) or Schema 1 (commdirmig) */
    guint what;             /* -m user|group|domain|both -> MSM_DIRMIG_* bits; 0 = all three */
    GPtrArray *pairs;       /* -A "attr:val" strings (char*), may be NULL */
    gboolean add;           /* -P: add values instead of replacing */
    gboolean only_pairs;    /* -O: apply only the -A pairs */
    char *filter;           /* -F: RFC 4515 filter string, or NULL */
    char *new_mailhost;     /* value for mailHost / mailRoutingHosts, or NULL = keep */
    char *old_mailhost;     /* the host being left (find-stale), or NULL */
    int commdirmig_mode;    /* 0, or commdirmig -t 1|2|3 */
    char *domain_scope;     /* commdirmig: only this domain, or NULL */
    char *dc_root;          /* DC tree root ("o=internet"), or NULL */
    char *org_root;         /* organization tree root, or NULL */
    GHashTable *dc_nodes;   /* commdirmig: msm_dn_normalize(inetDomainBaseDN) -> MsmEntry*
                             * of the DC-tree node pointing there (see
                             * msm_dirmap_note_dc_node()); owned; NULL = none */
} MsmDirmigOptions;

/* One row of the mapping table (docs/formats/directory-mapping.md). */
typedef enum {
    MSM_DIRMAP_ADD_CLASS,   /* add objectClass attr (if missing) */
    MSM_DIRMAP_DEL_CLASS,   /* remove objectClass attr */
    MSM_DIRMAP_DEFAULT,     /* attr: arg, when attr is absent */
    MSM_DIRMAP_COPY,        /* every value of attr also under arg */
    MSM_DIRMAP_RENAME,      /* values of attr move to arg */
    MSM_DIRMAP_DROP_PATH,   /* attr removed when its value is a path (contains '/') */
    MSM_DIRMAP_SELF_DN,     /* attr: the entry's own DN, when absent */
    MSM_DIRMAP_DOMAIN_NAME, /* attr: the DNS domain named by the DN, when absent */
    MSM_DIRMAP_HOST,        /* attr: opt->new_mailhost (replaces), when given */
    MSM_DIRMAP_FROM_DC      /* attr: the values of the DC-tree node of this
                             * organization (opt->dc_nodes), when absent */
} MsmDirmapOp;

typedef struct {
    MsmDirmigFrom from;
    MsmDirentKind kind;
    guint modes;            /* commdirmig -t modes as bits (1u << t); 0 = every mode */
    const char *need_class; /* rule applies only to entries with this class, or NULL */
    MsmDirmapOp op;
    const char *attr;
    const char *arg;
    const char *source;     /* the seed or fact the row comes from */
} MsmDirmapRule;

/* The mapping table. (transfer none, static) */
const MsmDirmapRule *msm_dirmap_rules(guint *n_r);

/* Applies one rule to entry in place (ignores from/kind/modes: the caller
 * selected the rule); for tests and tools that print the table. */
void msm_dirmap_apply_rule(const MsmDirmigOptions *opt, const MsmDirmapRule *rule, MsmEntry *entry);

/* Frees the strings and the pairs array of opt and zeroes it (opt itself is
 * the caller's). Safe on a zeroed struct. */
void msm_dirmig_options_clear(MsmDirmigOptions *opt);

/* Parses one imsdirmig -A argument "attr:val[;attr:val]..." ("\;" is a literal
 * ';') and appends "attr:val" strings to *pairs (created when NULL). FALSE with
 * MSM_ERROR_INVALID_ARGUMENT naming the bad pair. */
gboolean msm_dirmig_parse_pairs(const char *arg, GPtrArray **pairs, GError **error);

/* Parses -m user|group|domain|both (plural spellings are accepted too) into
 * MSM_DIRMIG_* bits ("both" = users and groups, as imsdirmig). */
gboolean msm_dirmig_parse_what(const char *arg, guint *what_r, GError **error);

/* Records a Schema 1 DC-tree domain node (one with inetDomainBaseDN) in
 * opt->dc_nodes (created when NULL; the entry is copied), so that commdirmig
 * modes 1 and 3 can move its mail attributes onto the organization node it
 * points to. Entries without inetDomainBaseDN are ignored. Memory: one
 * entry per hosted domain. */
void msm_dirmap_note_dc_node(MsmDirmigOptions *opt, const MsmEntry *dc);

/* What kind of entry this is for the source schema of opt. */
MsmDirentKind msm_dirmap_classify(const MsmDirmigOptions *opt, const MsmEntry *entry);

/* TRUE if entry matches opt->filter (TRUE when there is none); FALSE + error on a bad filter. */
gboolean msm_dirmap_filter_match(const char *filter, const MsmEntry *entry, gboolean *match_r,
                                 GError **error);

/* Maps one entry in place to the target schema. CONTINUE, SKIP (*reason_r says why,
 * transfer full) or ERROR (*error names the DN and the fix). Pure: no I/O.
 * "Other" entries (ou=People, o=isp, ...), entries of a kind not selected by
 * opt->what, outside opt->domain_scope or not matching opt->filter, and a
 * postmaster entry without mail are SKIP with a reason; a bad filter and -O
 * without -A are ERROR. CONTINUE may leave the entry unchanged (compare with
 * msm_entry_diff_ldif()). reason_r and error may be NULL. */
MsmResult msm_dirmap_entry(const MsmDirmigOptions *opt, MsmEntry *entry, char **reason_r,
                           GError **error);

/* Depth of a DN (number of RDNs, escaped commas respected), for
 * parents-before-children ordering. 0 for the empty DN. */
guint msm_dn_depth(const char *dn);

/* The DN normalised for comparison: RDNs split on unescaped ',', spaces
 * around ',', '=' and '+' removed, attribute types and values lower-cased.
 * (transfer full) */
char *msm_dn_normalize(const char *dn);

/* The LDIF "changetype: modify" record turning old into new (NULL if equal), and the
 * one turning new back into old; one record per entry, exact values (base64 where
 * LDIF needs it), replace-per-attribute semantics so applying undo restores the entry
 * exactly. (transfer full) The DN of old_entry is used. */
char *msm_entry_diff_ldif(const MsmEntry *old_entry, const MsmEntry *new_entry);

/* Applies one "changetype: modify" record as msm_entry_diff_ldif() writes it
 * (replace / add / delete of whole attributes or values) to entry in place;
 * for tests and for offline resumption. FALSE with MSM_ERROR_PARSE naming the
 * line. */
gboolean msm_entry_apply_modify_ldif(MsmEntry *entry, const char *record, GError **error);

/* Offline mode: reads in_ldif (db2ldif output), maps every entry (domains first, then
 * users and groups; parents before children), and writes out_ldif (the migrated
 * entries), audit_ldif (the modify records) and undo_ldif; rejects go to reject_ldif
 * with the reason. Counts in *stats_r (fields: read, changed, unchanged, skipped,
 * rejected). Streams: never holds more than one entry per DN depth level plus a
 * sorted spill file. Any of the output paths but out_ldif may be NULL. */
typedef struct { guint64 read, changed, unchanged, skipped, rejected; } MsmDirmigStats;
gboolean msm_dirmig_offline(const MsmDirmigOptions *opt, const char *in_ldif,
                            const char *out_ldif, const char *audit_ldif,
                            const char *undo_ldif, const char *reject_ldif,
                            MsmDirmigStats *stats_r, GError **error);

/* The delegated-admin ACI LDIF imsdaaci generated for one hosted domain
 * (modelled; docs/formats/directory-aci.md): modify records adding "aci"
 * values to the organization node of domain under org_root and to its
 * ou=People / ou=Groups. (transfer full) NULL + MSM_ERROR_INVALID_ARGUMENT for
 * an empty or malformed org_root or domain. */
char *msm_dirmig_aci_ldif(const char *org_root, const char *domain, GError **error);

/* Domains whose preferredMailHost / mailRoutingHosts still name old_host
 * (find-stale): TRUE if entry is such a domain; *fix_r (transfer full) is the
 * modify record that puts new_host there (NULL new_host: no fix). */
gboolean msm_dirmap_is_stale_domain(const MsmEntry *entry, const char *old_host,
                                    const char *new_host, char **fix_r);

#endif
